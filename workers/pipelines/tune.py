"""`jobmatch tune`: gather pairs, fine-tune on CPU, measure before/after, write the card.

Everything that can be refused is checked before training starts (the base is a
sentence-transformers folder, the output is free, every set splits into two non-empty
halves, there are pairs, the disk has room), so a refused run writes and registers
nothing. The model is trained into a hidden folder beside the output, scored, given its
card, and only then renamed into place: a run that fails leaves no half-written model.
Registering the result (as a shadow set) is the door's last step.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from embeddings.loader import ModelUnavailableError, resolve_model
from schema.database import connection
from schema.queries.tune_pairs import (
    TuneJob,
    dedupe_keys,
    duplicate_groups,
    jobs_for_sections,
    user_signals,
)
from workers.evaluation import dataset
from workers.evaluation.run import LoadEmbedder
from workers.evaluation.shared_data import RESPONSES
from workers.pipelines.ingest import read_jobs_file
from workers.pipelines.tune_card import CardFacts, Comparison, compare, write_card
from workers.pipelines.tune_pairs import (
    TrainingPair,
    capped,
    count_by_kind,
    duplicate_pairs,
    feedback_pairs,
    graded_pairs,
    section_pairs,
    split_set,
    without_texts,
)
from workers.pipelines.tune_train import Progress, TrainOptions, TrainResult, train

# Jobs read from the database for head → requirements pairs.
SECTION_JOBS = 5000
# Free space wanted before writing: the new model plus the trainer's working copies.
SPACE_FACTOR = 2


class TuneError(ValueError):
    """A request `jobmatch tune` refuses before writing anything; one line says why."""


@dataclass(frozen=True)
class TuneRequest:
    base: str
    out: Path
    sets: Sequence[Path] = ()
    eval_sets: Sequence[Path] = ()
    data_dir: Path | None = None
    shared_data: Path | None = None
    max_pairs: int = 5000
    train: TrainOptions = field(default_factory=TrainOptions)
    command: str = "jobmatch tune"


@dataclass(frozen=True)
class Reported:
    """A set scored before and after, never trained on."""

    labelled: dataset.LabelledSet
    role: str


@dataclass(frozen=True)
class Plan:
    """What a run will train on and report, settled before anything is written."""

    base_folder: Path
    pairs: list[TrainingPair]
    reported: list[Reported]

    @property
    def counts(self) -> dict[str, int]:
        return count_by_kind(self.pairs)


@dataclass(frozen=True)
class TuneOutcome:
    folder: Path
    plan: Plan
    result: TrainResult
    comparisons: list[Comparison]
    facts: CardFacts


def plan(url: str, request: TuneRequest) -> Plan:
    """Check the request and gather its pairs; raises `TuneError` with the reason."""
    base_folder = base_model_folder(request.base)
    if request.out.exists():
        raise TuneError(f"{request.out} already exists; choose a new output folder")
    trained_on, reported = _sets(request)
    pairs = _product_pairs(url) + _catalog_pairs(url, request.shared_data)
    for train_split in trained_on:
        pairs += graded_pairs(train_split)
    unseen = without_texts(pairs, {q.text for r in reported for q in r.labelled.queries})
    chosen = capped(unseen, request.max_pairs, request.train.seed)
    if not chosen:
        raise TuneError(
            "no training pairs: no user has applied to, saved or voted on a job with a CV, "
            "no job has requirements sections, and no --set was given"
        )
    check_free_space(base_folder, request.out.parent)
    return Plan(base_folder, chosen, reported)


def run(
    plan_: Plan,
    request: TuneRequest,
    load: LoadEmbedder,
    progress: Progress | None = None,
) -> TuneOutcome:
    """Train, score before/after, write the card, move the folder into place."""
    scratch = request.out.parent / f".{request.out.name}.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        result = train(str(plan_.base_folder), plan_.pairs, scratch, request.train, progress)
        comparisons = [
            compare(r.labelled, r.role, str(plan_.base_folder), str(scratch), load)
            for r in plan_.reported
        ]
        facts = _facts(plan_, request, result, comparisons)
        write_card(scratch, facts)
        scratch.rename(request.out)
    except OSError as error:
        raise TuneError(f"could not write the model to {request.out}: {error}") from error
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(request.out.parent / f".{scratch.name}.checkpoints", ignore_errors=True)
    return TuneOutcome(request.out, plan_, result, comparisons, facts)


def base_model_folder(base: str) -> Path:
    """The base model's folder; a one-line `TuneError` unless it is a sentence-transformers
    folder (a `modules.json` beside the weights)."""
    try:
        folder = Path(resolve_model(base))
    except ModelUnavailableError as error:
        raise TuneError(str(error)) from error
    if not (folder / "modules.json").is_file():
        raise TuneError(
            f"{base} is not a sentence-transformers model folder (no modules.json); "
            "tune starts from one, e.g. the bundled model"
        )
    return folder


def check_free_space(base_folder: Path, target: Path) -> None:
    """Refuse when `target`'s disk has less than `SPACE_FACTOR` × the base model free."""
    size = sum(p.stat().st_size for p in base_folder.rglob("*") if p.is_file())
    target.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target).free
    if free < SPACE_FACTOR * size:
        raise TuneError(
            f"not enough free space at {target}: {free / 1e6:.1f} MB free, "
            f"{SPACE_FACTOR * size / 1e6:.1f} MB needed (twice the base model)"
        )


def _sets(request: TuneRequest) -> tuple[list[dataset.LabelledSet], list[Reported]]:
    """(train splits to learn from, sets to report); an empty split is refused."""
    trained_on, reported = [], []
    for path in request.sets:
        labelled = _load(path, request.data_dir)
        train_split, held_out = split_set(labelled)
        for part, half in ((train_split, "train"), (held_out, "held-out")):
            if not part.judged_queries():
                raise TuneError(
                    f"the {half} split of {path} has no CV with a relevant job (of "
                    f"{len(labelled.queries)} CVs; a set is halved by a hash of each CV's text)"
                )
        trained_on.append(train_split)
        # Named as the set itself: the role says which split it is.
        reported.append(Reported(replace(held_out, name=labelled.name), "held-out split"))
    for path in request.eval_sets:
        reported.append(Reported(_load(path, request.data_dir), "eval set, not trained on"))
    return trained_on, reported


def _load(path: Path, data_dir: Path | None) -> dataset.LabelledSet:
    try:
        return dataset.load(path, data_dir)
    except dataset.DatasetError as error:
        raise TuneError(str(error)) from error


def _product_pairs(url: str) -> list[TrainingPair]:
    """Users' signals: each user's CV → jobs they liked, their down votes as negatives."""
    with connection(url) as conn:
        signals = user_signals(conn)
    by_user: dict[int, tuple[str, list[TuneJob], list[TuneJob]]] = {}
    for signal in signals:
        _, liked, disliked = by_user.setdefault(signal.user_id, (signal.cv_body, [], []))
        (liked if signal.liked else disliked).append(signal.job)
    pairs: list[TrainingPair] = []
    for body, liked, disliked in by_user.values():
        pairs += feedback_pairs(body, liked, disliked)
    return pairs


def _catalog_pairs(url: str, shared_data: Path | None) -> list[TrainingPair]:
    """Head → requirements and cross-source duplicates, from the database's jobs and,
    with `shared_data`, from the saved API responses there (read in place)."""
    with connection(url) as conn:
        stored = jobs_for_sections(conn, SECTION_JOBS)
        groups = duplicate_groups(conn)
        if shared_data is not None:
            files = _response_jobs(shared_data)
            keys = dedupe_keys(conn, [j.company for _, j in files], [j.title for _, j in files])
            groups += _cross_source_groups(files, keys)
            stored += [job for _, job in files]
    return section_pairs(stored) + duplicate_pairs(groups)


def _response_jobs(data_dir: Path) -> list[tuple[str, TuneJob]]:
    """(source, job) of every job in `data_dir`'s saved API responses."""
    paths = sorted((data_dir / RESPONSES).glob("*.json"))
    if not paths:
        raise TuneError(f"no saved API responses under {data_dir / RESPONSES}")
    jobs = []
    for path in paths:
        source, parsed = read_jobs_file(path, None)
        for n, r in enumerate(parsed.records):
            job = TuneJob(
                n,
                r.title,
                r.company,
                r.location,
                r.remote,
                list(r.tags),
                r.category,
                r.description,
            )
            jobs.append((source, job))
    return jobs


def _cross_source_groups(
    files: Sequence[tuple[str, TuneJob]], keys: Sequence[str]
) -> list[list[TuneJob]]:
    """Jobs sharing a dedupe key, kept when more than one source wrote them."""
    groups: dict[str, list[tuple[str, TuneJob]]] = {}
    for (source, job), key in zip(files, keys, strict=True):
        if key:
            groups.setdefault(key, []).append((source, job))
    return [
        [job for _, job in members]
        for members in groups.values()
        if len({source for source, _ in members}) > 1
    ]


def _facts(
    plan_: Plan, request: TuneRequest, result: TrainResult, comparisons: list[Comparison]
) -> CardFacts:
    options = request.train
    return CardFacts(
        base=request.base,
        pairs=plan_.counts,
        steps=result.steps,
        epochs=options.epochs,
        batch_size=options.batch_size,
        max_seq_length=options.max_seq_length,
        learning_rate=options.learning_rate,
        seed=options.seed,
        seconds=round(result.seconds, 1),
        step_seconds=round(result.step_seconds, 1),
        pairs_per_second=round(result.pairs_per_second, 2),
        command=request.command,
        comparisons=comparisons,
    )
