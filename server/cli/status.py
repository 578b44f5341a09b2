"""`jobmatch status`: the database, migrations, row counts and the schedule's runs."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from psycopg import errors as pg_errors
from rich.table import Table

from schema.database import Connection, connection, describe
from schema.queries.job_checks import OUTCOMES, check_counts
from schema.queries.runs import last_run_per_task
from schema.queries.status import migration_level, table_row_counts
from server.cli.common import Subparsers, add_command, console, located_database_url, print_json
from workers import schedule
from workers.pipelines.runs import close_stale_runs
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    status = add_command(subparsers, "status", run_status, "database, migrations and row counts")
    status.add_argument("--json", action="store_true", help="print JSON for scripts")


@dataclass(frozen=True)
class StatusReport:
    reachable: bool
    database: str
    embedded: bool
    data_dir: str | None
    migrations: dict[str, object]
    tables: dict[str, int]
    schedule: list[dict[str, object]]
    posting_checks: dict[str, object] | None  # None before migration 019


def collect_status(settings: Settings) -> StatusReport:
    """Everything `status` reports, as plain data."""
    url = located_database_url(settings)
    _close_stale_runs(url)
    with connection(url) as conn:
        return StatusReport(
            reachable=True,
            database=describe(url),
            embedded=settings.database_url is None,
            data_dir=str(settings.pgdata) if settings.database_url is None else None,
            migrations=migration_level(conn),
            tables=table_row_counts(conn),
            schedule=periodic_tasks(conn, settings),
            posting_checks=posting_checks(conn),
        )


def _close_stale_runs(url: str) -> None:
    """A run whose process died shows as interrupted, not running (once migrated: on an
    older schema the report says which migrations are pending)."""
    try:
        close_stale_runs(url)
    except (pg_errors.UndefinedTable, pg_errors.UndefinedColumn):
        return


def periodic_tasks(conn: Connection, settings: Settings) -> list[dict[str, object]]:
    """Each periodic task: its UTC time, its last recorded run and its next due time."""
    last = {run.task: run for run in last_run_per_task(conn)}
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    for task in schedule.PERIODIC:
        hour, minute = schedule.time_of(settings.schedule, task)
        run = last.get(task)
        rows.append(
            {
                "task": task.value,
                "at_utc": f"{hour:02d}:{minute:02d}",
                "last_started": run.started_at if run else None,
                "last_finished": run.finished_at if run else None,
                "last_status": run.status if run else None,
                "last_error": run.error if run else None,
                "next_run": schedule.next_run(settings.schedule, task, now),
            }
        )
    return rows


def posting_checks(conn: Connection) -> dict[str, object] | None:
    """Checks of postings by outcome (all kept, and the last day's) and closed jobs."""
    counts = check_counts(conn, datetime.now(UTC) - timedelta(days=1))
    return asdict(counts) if counts else None


def run_status(args: argparse.Namespace, settings: Settings) -> int:
    report = collect_status(settings)
    if args.json:
        print_json(asdict(report))
        return 0
    where = f"embedded, {report.data_dir}" if report.embedded else report.database
    console.print(f"database: reachable ({where})")
    console.print(f"migrations: {report.migrations}")
    table = Table("table", "rows")
    for name, count in report.tables.items():
        table.add_row(name, str(count))
    console.print(table)
    _print_schedule(report.schedule)
    if report.posting_checks is not None:
        _print_posting_checks(report.posting_checks)
    return 0


def _print_schedule(rows: list[dict[str, object]]) -> None:
    table = Table("periodic task", "at (UTC)", "last run", "status", "next run", title="schedule")
    for row in rows:
        last = row["last_started"]
        table.add_row(
            str(row["task"]),
            str(row["at_utc"]),
            f"{last:%Y-%m-%d %H:%M}" if isinstance(last, datetime) else "never",
            str(row["last_status"] or "—"),
            f"{row['next_run']:%Y-%m-%d %H:%M}" if isinstance(row["next_run"], datetime) else "",
        )
    console.print(table)


def _print_posting_checks(checks: dict[str, object]) -> None:
    table = Table("outcome", "checks", "last 24 h", title="posting checks (check-closed)")
    total, last_day = checks["checks"], checks["last_day"]
    assert isinstance(total, dict)
    assert isinstance(last_day, dict)
    for outcome in OUTCOMES:
        table.add_row(outcome, str(total[outcome]), str(last_day[outcome]))
    console.print(table)
    last = checks["last_checked_at"]
    when = f"{last:%Y-%m-%d %H:%M} UTC" if isinstance(last, datetime) else "never"
    console.print(f"jobs marked closed: {checks['closed_jobs']} · last check: {when}")
