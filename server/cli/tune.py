"""`jobmatch tune`: fine-tune a model on the product's pairs, register it as a shadow."""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from embeddings.backends import BACKENDS, BackendUnavailableError
from embeddings.loader import ModelLoader, ModelUnavailableError
from embeddings.model import Embedder
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from server.cli.embed import load as load_embedder
from workers.pipelines.embed import embed_pending
from workers.pipelines.tune import TuneError, TuneOutcome, TuneRequest, plan, run
from workers.pipelines.tune_card import REPORTED
from workers.pipelines.tune_train import TrainingUnavailableError, TrainOptions
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers, "tune", run_tune, "fine-tune a model on CPU and register it as a shadow"
    )
    parser.add_argument(
        "--base", help="sentence-transformers folder or name (default JOBMATCH_MODEL)"
    )
    parser.add_argument(
        "--out", type=Path, help="new folder (default JOBMATCH_HOME/models/tuned-…)"
    )
    parser.add_argument(
        "--set",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="a graded set: trained on its train split, its held-out split reported (repeatable)",
    )
    parser.add_argument(
        "--eval-set",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="a graded set only scored, never trained on (repeatable)",
    )
    parser.add_argument("--data-dir", type=Path, help="where sets read shared texts from")
    parser.add_argument(
        "--shared-data",
        type=Path,
        metavar="DIR",
        help="also learn from the jobs of DIR's saved API responses (e.g. ../shared/data)",
    )
    defaults = TrainOptions()
    parser.add_argument(
        "--max-pairs",
        type=_positive,
        default=5000,
        help="at most N pairs (seeded sample)",
    )
    parser.add_argument(
        "--epochs", type=_positive, default=defaults.epochs, help="passes over the pairs"
    )
    parser.add_argument(
        "--batch-size", type=_positive, default=defaults.batch_size, help="pairs per step (32)"
    )
    parser.add_argument(
        "--max-seq-length",
        type=_positive,
        default=defaults.max_seq_length,
        help="word pieces read per text while training (128: the speed lever on CPU)",
    )
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--seed", type=int, default=defaults.seed, help="fixes sampling and order")
    parser.add_argument("--device", default="cpu", help="cpu (the only one: tuning runs on CPU)")
    parser.add_argument("--fp16", action="store_true", help="refused: fp16 training needs CUDA")
    parser.add_argument(
        "--backend",
        choices=("auto", *BACKENDS),
        default="auto",
        help="how the registered shadow set is embedded",
    )
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")


def run_tune(args: argparse.Namespace, settings: Settings) -> int:
    _refuse_gpu_options(args)
    request = _request(args, settings)
    url = database_url(settings)
    try:
        chosen = plan(url, request)
        if not args.json:
            console.print(f"training on {len(chosen.pairs)} pairs: {_counts(chosen.counts)}")
        loader = ModelLoader(cache_dir=settings.home / "models")
        with _StepBar(quiet=args.json) as progress:
            outcome = run(chosen, request, loader.load, progress)
    except (TuneError, TrainingUnavailableError, ModelUnavailableError) as error:
        raise CliError(str(error)) from error
    summary = _register(url, _load(settings, str(outcome.folder), args.backend), args.json)
    if args.json:
        print_json({**_payload(outcome), "shadow_set": summary})
    else:
        _print(outcome)
    return 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _refuse_gpu_options(args: argparse.Namespace) -> None:
    if args.device != "cpu":
        raise CliError(f"--device {args.device}: tune trains on CPU only (use --device cpu)")
    if args.fp16:
        raise CliError("--fp16 needs a CUDA GPU; tune trains in fp32 on CPU")


def _request(args: argparse.Namespace, settings: Settings) -> TuneRequest:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or settings.home / "models" / f"tuned-{stamp}"
    return TuneRequest(
        base=args.base or settings.model,
        out=out.expanduser().resolve(),
        sets=args.set,
        eval_sets=args.eval_set,
        data_dir=args.data_dir,
        shared_data=args.shared_data,
        max_pairs=args.max_pairs,
        train=TrainOptions(
            epochs=args.epochs,
            batch_size=args.batch_size,
            max_seq_length=args.max_seq_length,
            learning_rate=args.learning_rate,
            seed=args.seed,
        ),
        command=shlex.join(["jobmatch", *sys.argv[1:]]),
    )


def _load(settings: Settings, name: str, backend: str) -> Embedder:
    try:
        return load_embedder(settings, name, backend)
    except (ModelUnavailableError, BackendUnavailableError) as error:
        raise CliError(str(error)) from error


def _register(url: str, embedder: Embedder, quiet: bool) -> dict[str, object]:
    """Embed every job and CV into the tuned model's set, never making it the active one."""
    with _StepBar(quiet=quiet, what="embedding into the shadow set") as progress:
        summary = embed_pending(url, embedder, progress=progress, activate_first=False)
    return summary.as_counts()


class _StepBar:
    """A progress bar whose callable moves it to (done, total)."""

    def __init__(self, *, quiet: bool, what: str = "training") -> None:
        columns = (
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        self._bar = Progress(*columns, console=console, disable=quiet)
        self._task = self._bar.add_task(what, total=None)

    def __enter__(self) -> _StepBar:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def __call__(self, done: int, total: int) -> None:
        self._bar.update(self._task, completed=done, total=total)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in counts.items())


def _payload(outcome: TuneOutcome) -> dict[str, object]:
    return {
        "folder": str(outcome.folder),
        "pairs": outcome.plan.counts,
        "steps": outcome.result.steps,
        "seconds": round(outcome.result.seconds, 1),
        "step_seconds": round(outcome.result.step_seconds, 1),
        "pairs_per_second": round(outcome.result.pairs_per_second, 2),
        "comparisons": [
            {
                "set": c.set_name,
                "role": c.role,
                "queries": c.queries,
                "judged_at_10": list(c.judged_at_10),
                **{
                    metric: {
                        "base": c.base[metric].mean,
                        "tuned": c.tuned[metric].mean,
                        "difference": [
                            c.difference[metric].mean,
                            c.difference[metric].low,
                            c.difference[metric].high,
                        ],
                        "verdict": c.verdict(metric),
                    }
                    for metric in REPORTED
                },
            }
            for c in outcome.comparisons
        ],
    }


def _print(outcome: TuneOutcome) -> None:
    result = outcome.result
    console.print(
        f"trained {result.pairs} pairs in {result.steps} steps, {result.seconds:.0f} s "
        f"({result.pairs_per_second:.1f} pairs/s)"
    )
    table = Table("set", "queries", "metric", "base", "tuned", "Δ (95% CI)", "verdict")
    for c in outcome.comparisons:
        for metric in REPORTED:
            delta = c.difference[metric]
            table.add_row(
                f"{c.set_name} ({c.role})",
                str(c.queries),
                metric,
                f"{c.base[metric].mean:.3f}",
                f"{c.tuned[metric].mean:.3f}",
                f"{delta.mean:+.3f} ({delta.low:+.3f}, {delta.high:+.3f})",
                c.verdict(metric),
            )
    if outcome.comparisons:
        console.print(table)
    console.print(
        f"model and card: {outcome.folder}\nregistered as a shadow model (not active); "
        f"`jobmatch models activate {outcome.folder}` serves it"
    )
