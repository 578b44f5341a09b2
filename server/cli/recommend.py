"""`jobmatch recommend` and `jobmatch cleanup`: the nightly work, run now, in this process."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from huey.exceptions import TaskLockedException
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from schema.database import connection
from schema.queries.recommendations import listed_jobs
from schema.queries.runs import recorded_run
from schema.queries.users import User, user_by_email, user_by_id
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from workers.pipelines.cleanup import CleanupSummary, cleanup
from workers.pipelines.recommend import RecommendOptions, RecommendSummary, generate
from workers.queue import task_lock
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    recommend = add_command(
        subparsers, "recommend", run_recommend, "compute every user's top-50 now (or one user's)"
    )
    recommend.add_argument("--user", help="only this user (email or id)")
    recommend.add_argument(
        "--strategy",
        choices=("exact", "pgvector"),
        default="exact",
        help="exact: batched exact cosine (default); pgvector: one HNSW query per user",
    )
    recommend.add_argument("--json", action="store_true", help="print JSON for scripts")
    clean = add_command(
        subparsers,
        "cleanup",
        run_cleanup,
        "delete expired saved jobs and recommendations, and week-old jobs nobody applied to",
    )
    clean.add_argument("--dry-run", action="store_true", help="list what would go; delete nothing")
    clean.add_argument("--json", action="store_true", help="print JSON for scripts")


def find_user(url: str, email_or_id: str) -> User:
    """The user named by an email or a numeric id; `CliError` when there is none."""
    with connection(url) as conn:
        key = email_or_id.strip()
        user = user_by_id(conn, int(key)) if key.isdigit() else user_by_email(conn, key)
    if user is None:
        raise CliError(f"no user {email_or_id!r}; add one with `jobmatch users add EMAIL`")
    return user


def run_recommend(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    user = find_user(url, args.user) if args.user else None
    task = "generate_user_recommendations" if user else "generate_all_recommendations"
    lock = f"user-{user.id}" if user else "generate_all"
    options = RecommendOptions(strategy=args.strategy)
    try:
        with recorded_run(url, task) as counts, task_lock(url, lock):
            summary = _generate_with_progress(url, user, options, quiet=args.json)
            counts.update(summary.counts())
    except TaskLockedException as error:
        raise CliError(f"{error} (a worker holds the lock); try again when it finishes") from error
    if args.json:
        print_json(asdict(summary))
    else:
        _print_recommend_summary(url, summary, user)
    return 0


def _generate_with_progress(
    url: str, user: User | None, options: RecommendOptions, *, quiet: bool
) -> RecommendSummary:
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console, disable=quiet) as bar:
        task_id = bar.add_task("users", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task_id, completed=done, total=total)

        return generate(
            url, user_ids=[user.id] if user else None, options=options, progress=advance
        )


def _print_recommend_summary(url: str, summary: RecommendSummary, user: User | None) -> None:
    if summary.skipped:
        console.print(f"nothing generated: {summary.skipped}")
        return
    stages = ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in summary.seconds.items())
    console.print(
        f"{summary.recommendations:,} recommendations for {summary.users:,} user(s) "
        f"from {summary.candidate_jobs:,} candidate jobs, model {summary.model} ({stages})"
    )
    if user is None:
        return
    with connection(url) as conn:
        top = listed_jobs(conn, user.id, 10)
    table = Table("rank", "score", "job", "why", title=f"top {len(top)} for {user.email}")
    for job in top:
        table.add_row(str(job.rank), f"{job.score:.3f}", f"{job.title} — {job.company}", job.reason)
    console.print(table)


def run_cleanup(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    if args.dry_run:
        summary = cleanup(url, dry_run=True)
    else:
        try:
            with recorded_run(url, "cleanup_all") as counts, task_lock(url, "cleanup_all"):
                with console.status("cleaning up…", spinner="dots"):
                    summary = cleanup(url)
                counts.update(summary.counts())
        except TaskLockedException as error:
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
