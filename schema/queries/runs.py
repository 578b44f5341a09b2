"""The run log (`task_runs`): every scrape, embed, generation and cleanup records itself,
with the session that logs it, so a run whose process died is found and closed."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from schema.database import Connection, connect

# The session that logs a run is alive while the run is.
_THIS_SESSION = "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"


@dataclass(frozen=True)
class TaskRun:
    id: int
    task: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, object]
    error: str | None


@dataclass(frozen=True)
class ResumableRun:
    """An interrupted run of a queued task, claimed to be queued again."""

    id: int
    task: str
    args: list[object]


def start_run(
    conn: Connection, task: str, *, args: Sequence[object] | None = None, lock: str | None = None
) -> int:
    """Record a running run of `task` by this session; its id. A pending trigger of the
    same lock is consumed: triggers from now on queue a new run."""
    row = conn.execute(
        "INSERT INTO task_runs (task, args, session_pid, session_started_at)"
        f" SELECT %(task)s, %(args)s::jsonb, s.pid, s.backend_start FROM ({_THIS_SESSION}) s"
        " RETURNING id",
        {"task": task, "args": json.dumps(list(args)) if args is not None else None},
    ).fetchone()
    assert row is not None
    if lock is not None:
        conn.execute("DELETE FROM task_triggers WHERE lock_name = %(lock)s", {"lock": lock})
    return int(str(row[0]))


def record_skipped(conn: Connection, task: str, counts: dict[str, object]) -> None:
    """A run that did not start (its lock was held), recorded as finished at once."""
    conn.execute(
        "INSERT INTO task_runs (task, finished_at, status, counts)"
        " VALUES (%(task)s, now(), 'skipped', %(counts)s::jsonb)",
        {"task": task, "counts": json.dumps(counts, default=str)},
    )


def finish_run(
    conn: Connection, run_id: int, status: str, counts: dict[str, object], error: str | None
) -> None:
    conn.execute(
        "UPDATE task_runs SET finished_at = now(), status = %(status)s,"
        " counts = %(counts)s::jsonb, error = %(error)s WHERE id = %(id)s",
        {"id": run_id, "status": status, "counts": json.dumps(counts, default=str), "error": error},
    )


@contextmanager
def recorded_run(url: str, task: str) -> Iterator[dict[str, object]]:
    """Record a run of `task` (no lock); the caller fills the yielded dict with its counts.

    The record uses its own autocommit connection, so a failure is logged even when the
    work's own transaction rolls back. An exception marks the run failed and propagates;
    when the database is gone too, the row is left to `close_stale_runs`.
    """
    conn = connect(url, vectors=False)
    conn.autocommit = True
    counts: dict[str, object] = {}
    try:
        run_id = start_run(conn, task)
        try:
            yield counts
        except BaseException as error:
            fail_quietly(conn, run_id, counts, error)
            raise
        finish_run(conn, run_id, "skipped" if counts.get("skipped") else "succeeded", counts, None)
    finally:
        conn.close()


def fail_quietly(
    conn: Connection,
    run_id: int,
    counts: dict[str, object],
    error: BaseException,
    status: str = "failed",
) -> None:
    """Mark the run `status` (failed, or interrupted) if the database still answers;
    the original error is the one that matters."""
    try:
        finish_run(conn, run_id, status, counts, f"{type(error).__name__}: {error}")
    except Exception:  # the same outage: the row stays `running` until it is closed
        return


def close_stale_runs(conn: Connection, why: str) -> list[int]:
    """Close as `interrupted` every running run whose logging session is gone; their ids."""
    rows = conn.execute(
        "UPDATE task_runs r SET status = 'interrupted', finished_at = now(), error = %(why)s"
        " WHERE r.status = 'running' AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a"
        "  WHERE a.pid = r.session_pid AND a.backend_start = r.session_started_at)"
        " RETURNING r.id",
        {"why": why},
    ).fetchall()
    return [int(str(row[0])) for row in rows]


def claim_for_retry(conn: Connection, run_id: int, why: str) -> bool:
    """Close the run as interrupted and claim its retry; False when another process
    (the recovery sweep) already claimed it."""
    row = conn.execute(
        "UPDATE task_runs SET status = 'interrupted', finished_at = coalesce(finished_at, now()),"
        " error = coalesce(error, %(why)s), resumed_at = now() WHERE id = %(id)s"
        " AND (status = 'running' OR (status = 'interrupted' AND resumed_at IS NULL))"
        " RETURNING id",
        {"id": run_id, "why": why},
    ).fetchone()
    return row is not None


def claim_resumable(conn: Connection, max_interruptions: int) -> list[ResumableRun]:
    """Claim the interrupted runs of queued tasks started in the last day, except a task
    and arguments interrupted `max_interruptions` times in the last hour (given up)."""
    with conn.cursor(row_factory=class_row(ResumableRun)) as cur:
        cur.execute(
            "WITH claimed AS (UPDATE task_runs SET resumed_at = now()"
            " WHERE status = 'interrupted' AND resumed_at IS NULL AND args IS NOT NULL"
            " AND started_at > now() - interval '1 day' RETURNING id, task, args)"
            " SELECT c.id, c.task, c.args FROM claimed c WHERE (SELECT count(*) FROM task_runs o"
            "  WHERE o.task = c.task AND o.args = c.args AND o.status = 'interrupted'"
            "  AND o.started_at > now() - interval '1 hour') <= %(max)s ORDER BY c.id",
            {"max": max_interruptions},
        )
        return cur.fetchall()


def claim_trigger(conn: Connection, lock: str, stale_after_s: float) -> bool:
    """Record a pending trigger of the task under `lock`; False when one is pending
    already (a trigger older than `stale_after_s` is taken as lost and replaced)."""
    row = conn.execute(
        "INSERT INTO task_triggers (lock_name) VALUES (%(lock)s) ON CONFLICT (lock_name)"
        " DO UPDATE SET queued_at = now()"
        " WHERE task_triggers.queued_at < now() - make_interval(secs => %(stale)s)"
        " RETURNING lock_name",
        {"lock": lock, "stale": stale_after_s},
    ).fetchone()
    return row is not None


def drop_trigger(conn: Connection, lock: str) -> None:
    conn.execute("DELETE FROM task_triggers WHERE lock_name = %(lock)s", {"lock": lock})


def recent_runs(conn: Connection, limit: int = 50) -> list[TaskRun]:
    """The latest runs, newest first."""
    with conn.cursor(row_factory=class_row(TaskRun)) as cur:
        cur.execute(
            "SELECT id, task, started_at, finished_at, status, counts, error"
            " FROM task_runs ORDER BY started_at DESC, id DESC LIMIT %(limit)s",
            {"limit": limit},
        )
        return cur.fetchall()


def last_run_per_task(conn: Connection) -> list[TaskRun]:
    """The most recent run of each task."""
    with conn.cursor(row_factory=class_row(TaskRun)) as cur:
        cur.execute(
            "SELECT DISTINCT ON (task) id, task, started_at, finished_at, status, counts, error"
            " FROM task_runs ORDER BY task, started_at DESC, id DESC"
        )
        return cur.fetchall()
