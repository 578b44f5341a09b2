"""`jobmatch embed`: embed every job and active CV that is new or changed, now."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from embeddings.backends import BACKENDS, BackendUnavailableError
from embeddings.loader import (
    ModelUnavailableError,
    canonical_name,
    load_embedder,
    looks_like_path,
)
from embeddings.model import Embedder
from embeddings.text import LONG_TEXT_CHOICES, TEMPLATE_CHOICES, TextOptions, parse_model_key
from schema.database import connection
from schema.queries.models import DimensionMismatchError, active_model
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from workers.pipelines.embed import EmbedSummary, embed_pending, up_to_date
from workers.pipelines.reposts import RepostSummary, collapse_reposts
from workers.pipelines.runs import AlreadyRunningError, TaskName, logged_run
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    embed = add_command(
        subparsers, "embed", run_embed, "embed every job and CV that is new or changed"
    )
    embed.add_argument(
        "--model",
        help="sentence-transformers name or folder (default: the active model, else "
        "JOBMATCH_MODEL)",
    )
    add_text_options(embed)
    embed.add_argument("--json", action="store_true", help="print JSON for scripts")


def add_text_options(parser: argparse.ArgumentParser) -> None:
    """--backend, --template, --long-text and --force, for `embed` and `models add`."""
    parser.add_argument(
        "--backend",
        choices=("auto", *BACKENDS),
        default="auto",
        help="how to run the model (auto: the fastest that keeps the ranking)",
    )
    parser.add_argument(
        "--long-text",
        choices=LONG_TEXT_CHOICES,
        help="texts over the model's 256 word pieces (default: the followed set's, else sections)",
    )
    parser.add_argument(
        "--template",
        choices=TEMPLATE_CHOICES,
        help="which job fields the model reads (default: the followed set's, else full)",
    )
    parser.add_argument(
        "--force", action="store_true", help="embed every text again, even unchanged ones"
    )


def load(settings: Settings, name: str, backend: str) -> Embedder:
    """The embedder the command asks for; what goes wrong becomes a one-line `CliError`."""
    try:
        return load_embedder(name, backend=backend, cache_dir=settings.home / "models")
    except (ModelUnavailableError, BackendUnavailableError) as error:
        raise CliError(str(error)) from error


def run_embed(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    name, options = _what_to_embed(url, args, settings)
    force = bool(getattr(args, "force", False))
    try:
        with logged_run(url, TaskName.EMBED_ALL, "embed") as counts:
            # Nothing new or changed: answer without loading the model (seconds of start-up).
            # A folder may have been retrained in place: only loading it tells.
            local = looks_like_path(name) or Path(name).expanduser().exists()
            summary = None if force or local else up_to_date(url, name, options)
            if summary is None:
                embedder = load(settings, name, args.backend)
                summary = _embed_with_progress(url, embedder, options, quiet=args.json, force=force)
            counts.update(summary.as_counts())
            # As the worker's embedding does: new vectors may be reposts of stored jobs,
            # and a job cleaned up since may have freed its reposts; grouping again costs
            # milliseconds (docs/performance.md), so it runs even when nothing was new.
            reposts = collapse_reposts(url)
            counts["reposts"] = reposts.counts()
    except AlreadyRunningError as error:
        raise CliError(f"{error} (a worker is embedding); try again when it finishes") from error
    except DimensionMismatchError as error:
        raise CliError(str(error)) from error
    if args.json:
        print_json({**summary.as_counts(), "reposts": reposts.counts()})
    else:
        _print_summary(summary, reposts)
    return 0


def _what_to_embed(
    url: str, args: argparse.Namespace, settings: Settings
) -> tuple[str, TextOptions]:
    """The model and text options: those asked for, else the active set's, else
    JOBMATCH_MODEL with the product's default options."""
    name: str | None = args.model
    base = TextOptions()
    if name is None:
        with connection(url) as conn:
            active = active_model(conn)
        if active is not None:
            name, base = parse_model_key(active.name)
    chosen = replace(
        base,
        template=args.template or base.template,
        long_text=args.long_text or base.long_text,
    )
    return canonical_name(name or settings.model), chosen


def _embed_with_progress(
    url: str, embedder: Embedder, options: TextOptions, *, quiet: bool, force: bool
) -> EmbedSummary:
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=quiet) as bar:
        task_id = bar.add_task(f"embedding ({embedder.name})", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task_id, completed=done, total=total)

        return embed_pending(url, embedder, progress=progress, text_options=options, force=force)


def _print_summary(summary: EmbedSummary, reposts: RepostSummary) -> None:
    table = Table("", "", show_header=False, box=None)
    table.add_row("model", f"{summary.model} (backend {summary.backend})")
    table.add_row(
        "embedded",
        f"{summary.embedded} ({summary.jobs_embedded} jobs, {summary.cvs_embedded} CVs)",
    )
    table.add_row("unchanged", str(summary.unchanged))
    table.add_row("skipped, empty", str(summary.skipped_empty))
    table.add_row("texts/s", f"{summary.texts_per_second:.1f}")
    table.add_row("time", f"{summary.seconds:.1f}s")
    _reposts_rows(table, reposts)
    console.print(table)
    if summary.activated:
        console.print(f"{summary.model} is now the active model (it was the first)")
    if summary.replaced:
        console.print(
            f"{summary.model} was retrained in place: its new set now serves users, and each "
            "list is made again with it (on its next read, or by `jobmatch recommend`)"
        )


def _reposts_rows(table: Table, reposts: RepostSummary) -> None:
    """What grouping the reposts found, in the words of `jobmatch reposts`."""
    if reposts.skipped:
        table.add_row("reposts", f"not grouped: {reposts.skipped}")
        return
    table.add_row(
        "reposts",
        f"{reposts.duplicates:,} posting(s) shown under another job; {reposts.changed:,} changed",
    )
    table.add_row(
        "",
        f"{reposts.pairs_merged:,} merge(s) of {reposts.pairs_considered:,} similar pair(s)"
        f" among {reposts.jobs_compared:,} job(s)",
    )
