"""`jobmatch eval`: compare embedding models (and text options, backends) with BM25."""

from __future__ import annotations

import argparse
import itertools
from datetime import UTC, datetime
from pathlib import Path

from rich.table import Table

from embeddings.backends import BACKENDS, BackendUnavailableError
from embeddings.loader import ModelUnavailableError
from embeddings.model import Embedder
from embeddings.text import LONG_TEXT_CHOICES, TEMPLATE_CHOICES, TextOptions
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from workers.evaluation import build, dataset
from workers.evaluation.report import write_report
from workers.evaluation.run import BM25_SYSTEM, SystemResult, SystemSpec, evaluate
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers, "eval", run_eval, "rank a labelled set with each model and BM25; report"
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
    parser.add_argument("--model", action="append", help="model to compare (repeatable)")
    parser.add_argument("--backend", action="append", choices=("auto", *BACKENDS))
    parser.add_argument("--template", action="append", choices=TEMPLATE_CHOICES)
    parser.add_argument("--long-text", action="append", choices=LONG_TEXT_CHOICES)
    parser.add_argument("--save-set", type=Path, help="also write the labelled set used")
    parser.add_argument(
        "--out", type=Path, help="report folder (default JOBMATCH_HOME/eval/<timestamp>)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def systems_asked(args: argparse.Namespace, settings: Settings) -> list[SystemSpec]:
    """BM25, then every combination of the models, backends and text options asked."""
    combos = itertools.product(
        args.model or [settings.model],
        args.backend or ["auto"],
        args.template or ["full"],
        args.long_text or ["truncate"],
    )
    return [SystemSpec(BM25_SYSTEM)] + [
        SystemSpec(model, backend, TextOptions(template=template, long_text=long_text))
        for model, backend, template, long_text in combos
    ]


def _labelled_set(args: argparse.Namespace, settings: Settings) -> dataset.LabelledSet:
    try:
        if args.set:
            return dataset.load(args.set)
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

    def load(model: str, backend: str) -> Embedder:
        from server.cli.embed import load as load_for_cli

        return load_for_cli(settings, model, backend)

    try:
        results = evaluate(labelled, systems_asked(args, settings), load)
    except (ModelUnavailableError, BackendUnavailableError) as error:
        raise CliError(str(error)) from error
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = args.out or settings.home / "eval" / stamp
    payload, paths = write_report(out_dir, labelled, results)
    if args.json:
        print_json(payload)
        return 0
    _print_table(labelled, results)
    console.print(f"report: {paths[0]}\nchart:  {paths[1]}")
    return 0


def _print_table(labelled: dataset.LabelledSet, results: list[SystemResult]) -> None:
    title = (
        f"{labelled.name}: {len(labelled.judged_queries())} queries × "
        f"{len(labelled.documents)} documents — mean [95% bootstrap CI]"
    )
    table = Table("system", "nDCG@10", "MRR", "Recall@50", "MAP", "texts/s", title=title)
    for result in results:
        cells = [
            f"{m.mean:.3f} [{m.low:.3f}, {m.high:.3f}]"
            for m in (result.metrics[name] for name in ("ndcg@10", "mrr", "recall@50", "map"))
        ]
        rate = f"{result.texts_per_second:.0f}" if result.texts_per_second else "—"
        table.add_row(result.spec.label, *cells, rate)
    console.print(table)
    if labelled.derived:
        console.print(f"[yellow]note:[/] {labelled.note}")
