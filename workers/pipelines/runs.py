"""The run log and the lock, as one context manager every door uses for long work.

A run holds a named PostgreSQL session advisory lock (so two runs of one task never
overlap, across processes and hosts, and a process that dies releases it with its
connection) and records itself in `task_runs`: start, end, status, counts, error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from schema.database import connection
from schema.queries.locks import try_lock
from schema.queries.runs import recorded_run

Counts = dict[str, object]


class TaskName(StrEnum):
    """Every recorded kind of run: the names `task_runs` and the schedule use."""

    SCRAPE_AND_EMBED = "scrape_and_embed"
    EMBED_ALL = "embed_all"
    GENERATE_ALL = "generate_all_recommendations"
    GENERATE_SHARD = "generate_recommendation_shard"
    GENERATE_USER = "generate_user_recommendations"
    PROCESS_NEW_CV = "process_new_cv"
    CLEANUP_SAVED_JOBS = "cleanup_saved_jobs"
    CLEANUP_RECOMMENDATIONS = "cleanup_recommendations"
    CLEANUP_JOBS = "cleanup_jobs"
    CLEANUP_ALL = "cleanup_all"


class AlreadyRunningError(RuntimeError):
    """Another process holds the run's lock; the run was recorded as skipped."""


@contextmanager
def logged_run(url: str, task: TaskName, lock: str | None = None) -> Iterator[Counts]:
    """Run the block under the lock `lock` (default: the task's name), recorded in
    `task_runs` as `task`; the block fills the yielded counts.

    A held lock records a skipped run and raises `AlreadyRunningError` before the block runs.
    An exception in the block marks the run failed and propagates.
    """
    name = lock or task.value
    with (
        recorded_run(url, task.value) as counts,
        connection(url, autocommit=True, vectors=False) as conn,
    ):
        held = try_lock(conn, name)
        if held:
            yield counts
        else:
            counts["skipped"] = f"{name} is already running"
    if not held:
        raise AlreadyRunningError(f"{name} is already running")
