"""`jobmatch embed`: embed every job and active CV that is new or changed, now."""

from __future__ import annotations

import argparse

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
    BUNDLED_ALIASES,
    DEFAULT_MODEL,
    ModelUnavailableError,
    load_embedder,
)
from embeddings.model import Embedder
from embeddings.text import LONG_TEXT_CHOICES, TEMPLATE_CHOICES, TextOptions
from schema.queries.models import DimensionMismatchError
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from workers.pipelines.embed import EmbedSummary, embed_pending, up_to_date
from workers.pipelines.runs import AlreadyRunningError, TaskName, logged_run
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    embed = add_command(
        subparsers, "embed", run_embed, "embed every job and CV that is new or changed"
    )
    embed.add_argument(
        "--model", help="sentence-transformers name or folder (default: JOBMATCH_MODEL)"
    )
    embed.add_argument(
        "--backend",
        choices=("auto", *BACKENDS),
        default="auto",
        help="how to run the model (auto: the fastest that keeps the ranking)",
    )
    embed.add_argument(
        "--long-text",
        choices=LONG_TEXT_CHOICES,
        default="truncate",
        help="texts over the model's 256 word pieces: truncate (default) or chunk and average",
    )
    embed.add_argument(
        "--template",
        choices=TEMPLATE_CHOICES,
        default="full",
        help="which job fields the model reads (default: full)",
    )
    embed.add_argument("--json", action="store_true", help="print JSON for scripts")


def load(settings: Settings, name: str, backend: str) -> Embedder:
    """The embedder the command asks for; what goes wrong becomes a one-line `CliError`."""
    try:
        return load_embedder(name, backend=backend, cache_dir=settings.home / "models")
    except (ModelUnavailableError, BackendUnavailableError) as error:
        raise CliError(str(error)) from error


def run_embed(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    options = TextOptions(template=args.template, long_text=args.long_text)
    name = args.model or settings.model
    try:
        with logged_run(url, TaskName.EMBED_ALL, "embed") as counts:
            # Nothing new or changed: answer without loading the model (seconds of start-up).
            summary = up_to_date(url, _stored_name(name), options)
            if summary is None:
                embedder = load(settings, name, args.backend)
                summary = _embed_with_progress(url, embedder, options, quiet=args.json)
            counts.update(summary.as_counts())
    except AlreadyRunningError as error:
        raise CliError(f"{error} (a worker is embedding); try again when it finishes") from error
    except DimensionMismatchError as error:
        raise CliError(str(error)) from error
    if args.json:
        print_json(summary.as_counts())
    else:
        _print_summary(summary)
    return 0


def _stored_name(name: str) -> str:
    """The name the loader registers `name` under (the bundled model's aliases are one)."""
    return DEFAULT_MODEL if name in BUNDLED_ALIASES else name


def _embed_with_progress(
    url: str, embedder: Embedder, options: TextOptions, *, quiet: bool
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

        return embed_pending(url, embedder, progress=progress, text_options=options)


def _print_summary(summary: EmbedSummary) -> None:
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
    console.print(table)
    if summary.activated:
        console.print(f"{summary.model} is now the active model (it was the first)")
