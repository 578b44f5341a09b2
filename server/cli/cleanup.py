"""`jobmatch cleanup`: the nightly deletions, run now (or listed, with --dry-run)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from rich.table import Table

from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from workers.pipelines.cleanup import CleanupSummary, cleanup
from workers.pipelines.runs import AlreadyRunningError, TaskName, logged_run
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    clean = add_command(
        subparsers,
        "cleanup",
        run_cleanup,
        "delete expired saved jobs and recommendations, and week-old jobs nobody applied to",
    )
    clean.add_argument("--dry-run", action="store_true", help="list what would go; delete nothing")
    clean.add_argument("--json", action="store_true", help="print JSON for scripts")


def run_cleanup(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    if args.dry_run:
        summary = cleanup(url, dry_run=True)
    else:
        try:
            with logged_run(url, TaskName.CLEANUP_ALL) as counts:
                with console.status("cleaning up…", spinner="dots"):
                    summary = cleanup(url)
                counts.update(summary.counts())
        except AlreadyRunningError as error:
            raise CliError(f"{error} (a worker is cleaning up); try again later") from error
    if args.json:
        print_json(asdict(summary))
        return 0
    _print_cleanup_summary(summary)
    return 0


def _print_cleanup_summary(summary: CleanupSummary) -> None:
    verb = "would delete" if summary.dry_run else "deleted"
    console.print(
        f"{verb}: {summary.saved_jobs:,} saved job(s), {summary.recommendations:,} expired "
        f"recommendation(s), {summary.jobs:,} job(s) older than 7 days without an application"
    )
    if summary.dry_run and summary.jobs_listed:
        table = Table("id", "posted", "job", title="jobs that would go")
        for job in summary.jobs_listed:
            table.add_row(str(job.id), f"{job.posted_at:%Y-%m-%d}", f"{job.title} — {job.company}")
        console.print(table)
        if summary.jobs > len(summary.jobs_listed):
            console.print(f"… and {summary.jobs - len(summary.jobs_listed):,} more")
