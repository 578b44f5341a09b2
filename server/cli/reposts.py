"""`jobmatch reposts`: group near-duplicate postings of one company into one job now."""

from __future__ import annotations

import argparse

from embeddings.reposts import DEFAULT_THRESHOLD
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from workers.pipelines.reposts import RepostSummary, collapse_reposts
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    reposts = add_command(
        subparsers,
        "reposts",
        run_reposts,
        "show near-duplicate postings of one company as one job (runs after each embedding)",
    )
    reposts.add_argument("--dry-run", action="store_true", help="count merges; change nothing")
    reposts.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="cosine similarity two postings of one company need, titles agreeing"
        f" (default {DEFAULT_THRESHOLD})",
    )
    reposts.add_argument("--json", action="store_true", help="print JSON for scripts")


def run_reposts(args: argparse.Namespace, settings: Settings) -> int:
    if not 0.0 < args.threshold <= 1.0:
        raise CliError(f"--threshold must be a cosine similarity in (0, 1], not {args.threshold}")
    url = database_url(settings)
    with console.status("comparing postings…", spinner="dots"):
        summary = collapse_reposts(url, threshold=args.threshold, dry_run=args.dry_run)
    if args.json:
        print_json(summary.counts())
        return 0
    _print_summary(summary)
    return 0


def _print_summary(summary: RepostSummary) -> None:
    if summary.skipped:
        console.print(f"nothing to compare: {summary.skipped} (run `jobmatch embed` first)")
        return
    verb = "would show" if summary.dry_run else "shows"
    console.print(
        f"{summary.pairs_merged:,} merge(s) of {summary.pairs_considered:,} similar pair(s)"
        f" among {summary.jobs_compared:,} job(s) (threshold {summary.threshold}):"
        f" {verb} {summary.duplicates:,} posting(s) under another job;"
        f" {summary.changed:,} job(s) {'would change' if summary.dry_run else 'changed'}"
    )
