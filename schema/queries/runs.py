"""The run log (`task_runs`): every scrape, embed, generation and cleanup records itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from schema.database import Connection, connect


@dataclass(frozen=True)
class TaskRun:
    id: int
    task: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, object]
    error: str | None


@contextmanager
def recorded_run(url: str, task: str) -> Iterator[dict[str, object]]:
    """Record a run of `task`; the caller fills the yielded dict with its counts.

    The record uses its own autocommit connection, so a failure is logged even when the
    work's own transaction rolls back. An exception marks the run failed and propagates.
    """
    conn = connect(url, vectors=False)
    conn.autocommit = True
    counts: dict[str, object] = {}
    try:
        row = conn.execute(
            "INSERT INTO task_runs (task) VALUES (%(task)s) RETURNING id", {"task": task}
        ).fetchone()
        assert row is not None
        run_id = row[0]
        try:
            yield counts
        except BaseException as error:
            _finish(conn, run_id, "failed", counts, f"{type(error).__name__}: {error}")
            raise
        status = "skipped" if counts.get("skipped") else "succeeded"
        _finish(conn, run_id, status, counts, None)
    finally:
        conn.close()


def _finish(
    conn: Connection, run_id: object, status: str, counts: dict[str, object], error: str | None
) -> None:
    conn.execute(
        "UPDATE task_runs SET finished_at = now(), status = %(status)s,"
        " counts = %(counts)s::jsonb, error = %(error)s WHERE id = %(id)s",
        {"id": run_id, "status": status, "counts": json.dumps(counts, default=str), "error": error},
    )


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
