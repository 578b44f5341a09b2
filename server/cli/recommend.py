"""`jobmatch recommend`: every user's top-50 (or one user's) computed now, in this process."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from schema.database import connection
from schema.queries.list_pages import listed_jobs
from schema.queries.users import User
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from server.cli.users import find_user
from workers.pipelines.recommend import RecommendOptions, RecommendSummary, generate
from workers.pipelines.runs import AlreadyRunningError, TaskName, logged_run
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


def run_recommend(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    user = find_user(url, args.user) if args.user else None
    task = TaskName.GENERATE_USER if user else TaskName.GENERATE_ALL
    lock = f"user-{user.id}" if user else "generate_all"
    options = RecommendOptions(strategy=args.strategy)
    try:
        with logged_run(url, task, lock) as counts:
            summary = _generate_with_progress(url, user, options, quiet=args.json)
            counts.update(summary.counts())
    except AlreadyRunningError as error:
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
