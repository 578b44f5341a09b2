"""`jobmatch scrape`: fetch recent jobs from the job APIs, then a summary per source."""

from __future__ import annotations

import argparse

from rich import box
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from workers.pipelines.ingest import SourceSummary, scrape
from workers.settings import Settings
from workers.sources import SOURCE_CLASSES


def register(subparsers: Subparsers) -> None:
    scrape_parser = add_command(
        subparsers, "scrape", run_scrape, "fetch recent jobs from the job APIs and store them"
    )
    scrape_parser.add_argument(
        "--source",
        action="append",
        choices=sorted(SOURCE_CLASSES),
        help="only this source (repeatable; default JOBMATCH_SOURCES or all)",
    )
    scrape_parser.add_argument("--days", type=positive_int, help="keep jobs of the last N days")
    scrape_parser.add_argument(
        "--base-url",
        action="append",
        default=[],
        metavar="SOURCE=URL",
        help="fetch SOURCE from URL instead (a mirror or a local replay server)",
    )
    scrape_parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def run_scrape(args: argparse.Namespace, settings: Settings) -> int:
    """Scrape with a live progress line per source, then print the summary table."""
    base_urls = _base_urls(args.base_url)
    url = database_url(settings)
    names = args.source or list(settings.sources)
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.fields[source]:<10}[/]"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=args.json,
    ) as progress:
        tasks = {n: progress.add_task("waiting", source=n, total=None) for n in names}

        def report(source: str, message: str) -> None:
            progress.update(tasks[source], description=message)

        summaries = scrape(
            url, settings, sources=names, days=args.days, progress=report, base_urls=base_urls
        )
    print_summaries(summaries, args.json)
    return 1 if any(s.status == "failed" for s in summaries) else 0


def print_summaries(summaries: list[SourceSummary], as_json: bool) -> None:
    """A table of what each source fetched and stored (JSON with `as_json`)."""
    if as_json:
        print_json([s.as_dict() for s in summaries])
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("source", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for header in ("fetched", "new", "updated", "same", "dupes", "too old", "failed"):
        table.add_column(header, justify="right", no_wrap=True)
    for s in summaries:
        table.add_row(
            s.source,
            {"succeeded": "[green]ok[/]", "failed": "[red]failed[/]"}.get(
                s.status, f"[yellow]{s.status}[/]"
            ),
            *(
                str(n)
                for n in (
                    s.fetched,
                    s.new,
                    s.updated,
                    s.unchanged,
                    s.duplicates,
                    s.outside_window,
                    s.failed_total,
                )
            ),
        )
    console.print(table)
    for s in summaries:
        if s.error:
            console.print(f"[bold]{s.source}[/]: {s.error}", highlight=False, soft_wrap=True)
        for reason, count in sorted(s.failed.items(), key=lambda item: -item[1]):
            console.print(f"[bold]{s.source}[/]: skipped {count} × {reason}", highlight=False)


def _base_urls(values: list[str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or name not in SOURCE_CLASSES or not url.startswith(("http://", "https://")):
            raise CliError(f"--base-url wants SOURCE=http(s)://..., got {value!r}")
        urls[name] = url
    return urls


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {value!r}")
    return int(value)
