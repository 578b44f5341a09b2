"""`jobmatch eval`: compare models, text options and the hybrid weight with the baselines."""

from __future__ import annotations

import argparse
import itertools
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path

from embeddings.backends import BACKENDS, BackendUnavailableError
from embeddings.loader import ModelUnavailableError
from embeddings.metrics import Estimate
from embeddings.model import Embedder
from embeddings.text import LONG_TEXT_CHOICES, TEMPLATE_CHOICES, TextOptions
from server.cli.common import (
    CliError,
    Subparsers,
    add_command,
    console,
    database_url,
    err_console,
    print_json,
)
from workers.evaluation import build, dataset
from workers.evaluation.feedback import FeedbackResult
from workers.evaluation.report import write_report
from workers.evaluation.run import (
    BASELINES,
    SystemResult,
    SystemSpec,
    empty_warnings,
    evaluate,
    feedback_session,
)
from workers.pipelines.recommend_options import DEFAULT_LEXICAL_WEIGHT
from workers.pipelines.serving import Embedders
from workers.settings import Settings

# Repeatable options: every combination of their values is a system, in the order given.
_WEIGHTS = ("head_weight", "intro_weight", "boilerplate_weight")


def register(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers, "eval", run_eval, "rank a labelled set with each system and the baselines"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--set", type=Path, help="a labelled set file (format: README.md)")
    source.add_argument(
        "--shared-data",
        type=Path,
        metavar="DIR",
        help="build the set from real CVs and categorised jobs in DIR (e.g. ../shared/data)",
    )
    source.add_argument(
        "--from-product",
        action="store_true",
        help="build the set from users' applications, saves and votes (the default)",
    )
    parser.add_argument("--data-dir", type=Path, help="where a --set reads shared texts from")
    parser.add_argument("--model", action="append", help="model to compare (repeatable)")
    parser.add_argument("--backend", action="append", choices=("auto", *BACKENDS))
    parser.add_argument("--template", action="append", choices=TEMPLATE_CHOICES)
    parser.add_argument("--long-text", action="append", choices=LONG_TEXT_CHOICES)
    for weight in _WEIGHTS:
        parser.add_argument(f"--{weight.replace('_', '-')}", action="append", type=float)
    parser.add_argument(
        "--lexical", action="append", type=float, help="weight of the lexical signal (hybrid)"
    )
    parser.add_argument(
        "--feedback",
        action="store_true",
        help="also run the simulated feedback session with the first system",
    )
    parser.add_argument("--save-set", type=Path, help="also write the labelled set used")
    parser.add_argument(
        "--out", type=Path, help="report folder (default JOBMATCH_HOME/eval/<timestamp>)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def systems_asked(args: argparse.Namespace, settings: Settings) -> list[SystemSpec]:
    """Every combination of the options asked (the product's defaults for those not
    given), the first one first; then the baselines. Repeats are dropped."""
    default = TextOptions()
    choices = {
        "model": args.model or [settings.model],
        "backend": args.backend or ["auto"],
        "template": args.template or [default.template],
        "long_text": args.long_text or [default.long_text],
        **{w: getattr(args, w) or [getattr(default, w)] for w in _WEIGHTS},
        "lexical": args.lexical if args.lexical is not None else [DEFAULT_LEXICAL_WEIGHT],
    }
    specs = []
    for combo in itertools.product(*choices.values()):
        picked = dict(zip(choices, combo, strict=True))
        text_fields = {f.name for f in fields(TextOptions)}
        text = replace(default, **{k: v for k, v in picked.items() if k in text_fields})
        specs.append(SystemSpec(picked["model"], picked["backend"], text, picked["lexical"]))
    return list(dict.fromkeys([*specs, *(SystemSpec(name) for name in BASELINES)]))


def _labelled_set(args: argparse.Namespace, settings: Settings) -> dataset.LabelledSet:
    try:
        if args.set:
            return dataset.load(args.set, args.data_dir)
        if args.shared_data:
            return build.from_shared_data(args.shared_data)
        labelled = build.from_product(database_url(settings))
    except dataset.DatasetError as error:
        raise CliError(str(error)) from error
    if not labelled.judged_queries():
        raise CliError(
            "users have no applications, saves or up votes yet; pass --set FILE or "
            "--shared-data DIR to evaluate on a labelled set"
        )
    return labelled


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    labelled = _labelled_set(args, settings)
    if args.save_set:
        dataset.save(labelled, args.save_set)
    embedders = Embedders(settings.model, settings.home / "models")

    def load(model: str, backend: str) -> Embedder:
        return embedders.load(model, backend)

    systems = systems_asked(args, settings)
    try:
        results = evaluate(labelled, systems, load)
        session = feedback_session(labelled, systems[0], load) if args.feedback else None
    except (ModelUnavailableError, BackendUnavailableError) as error:
        raise CliError(str(error)) from error
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = args.out or settings.home / "eval" / stamp
    payload, paths = write_report(out_dir, labelled, results, session)
    queries = len(labelled.judged_queries())
    for line in empty_warnings(results, len(labelled.documents), queries):
        err_console.print(line, highlight=False, soft_wrap=True)
    if args.json:
        print_json(payload)
        return 0
    console.print(results_table(labelled, results), highlight=False, soft_wrap=True)
    if session is not None:
        console.print(feedback_line(session), highlight=False, soft_wrap=True)
    console.print(f"report: {paths[0]}\nchart:  {paths[1]}")
    return 0


def results_table(labelled: dataset.LabelledSet, results: list[SystemResult]) -> str:
    """The results as plain text no wider than 80 columns: numbered systems, nDCG@10 and
    MAP with 95% intervals, each system's paired difference to system 1, judged@10; the
    systems' full names below."""
    lines = [
        f"{labelled.name}: {len(labelled.judged_queries())} queries × "
        f"{len(labelled.documents)} documents",
        "mean (95% bootstrap CI); Δ = this system minus #1, paired by query",
        f"{'#':>2}  {'nDCG@10':<19}{'Δ nDCG@10':<22}{'MAP':<7}{'Δ MAP':<22}{'judged':>6}",
    ]
    for number, result in enumerate(results, start=1):
        versus = result.versus_first or {}
        lines.append(
            f"{number:>2}  {_estimate(result.metrics['ndcg@10']):<19}"
            f"{_delta(versus.get('ndcg@10')):<22}{result.metrics['map'].mean:<7.3f}"
            f"{_delta(versus.get('map')):<22}{result.metrics['judged@10'].mean:>6.2f}"
        )
    lines.append("")
    lines += [f"{n:>2}  {r.spec.label}" for n, r in enumerate(results, start=1)]
    if labelled.derived:
        lines += ["", f"note: {labelled.note}"]
    return "\n".join(lines)


def feedback_line(session: FeedbackResult) -> str:
    """The simulated session's outcome in a line or two."""
    return (
        f"feedback (system 1; first page voted: grade ≥ 2 up, 0 down; pull {session.pull:g},"
        f" push {session.push:g})\n"
        f"  nDCG@10 of the jobs not yet shown: {_estimate(session.without)} without,"
        f" {_estimate(session.with_feedback)} with\n"
        f"  Δ {_delta(session.difference)} paired by query"
    )


def _estimate(value: Estimate) -> str:
    return f"{value.mean:.3f} ({value.low:.2f}–{value.high:.2f})"


def _delta(value: Estimate | None) -> str:
    if value is None:
        return "—"
    return f"{value.mean:+.3f} ({value.low:+.2f}–{value.high:+.2f})"
