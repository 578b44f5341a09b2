"""`jobmatch check-closed`: ask whether the jobs in users' top places are still open."""

from __future__ import annotations

import argparse

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from server.cli.scrape import positive_int
from workers.pipelines.check_closed import CheckSummary, check_closed
from workers.pipelines.runs import AlreadyRunningError, TaskName, logged_run
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    check = add_command(
        subparsers,
        "check-closed",
        run_check_closed,
        "check whether the jobs in users' top 10 are still open; closed ones leave every list",
    )
    check.add_argument("--limit", type=positive_int, help="check at most N jobs")
    check.add_argument("--json", action="store_true", help="print JSON for scripts")


def run_check_closed(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    try:
        with (
            logged_run(url, TaskName.CHECK_CLOSED) as counts,
            Progress(
                *Progress.get_default_columns()[:1],
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=args.json,
            ) as bar,
        ):
            task = bar.add_task("checking postings", total=None)

            def report(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = check_closed(url, settings.posting_check, limit=args.limit, progress=report)
            counts.update(summary.counts())
    except AlreadyRunningError as error:
        raise CliError(f"{error} (a worker is checking postings); try again later") from error
    if args.json:
        print_json(summary.counts())
        return 0
    _print_summary(summary)
    return 0


def _print_summary(summary: CheckSummary) -> None:
    outcomes = summary.outcomes
    console.print(
        f"checked {summary.checked:,} posting(s): {outcomes['open']:,} open, "
        f"{outcomes['closed']:,} closed, {outcomes['unknown']:,} unknown "
        f"(timeouts, errors: not closed); {summary.closed_jobs:,} job(s) newly marked closed"
    )
