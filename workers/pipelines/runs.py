"""The run log and the lock, as one context manager every door uses for long work, and
what keeps runs from being lost: stale runs closed, interrupted ones queued again, and
triggers of a queued or running task coalesced.

A run holds a named PostgreSQL session advisory lock (so two runs of one task never
overlap, across processes and hosts, and a process that dies releases it with its
connection) and records itself in `task_runs`, on that same session: start, end,
status, counts, error. A `running` row whose session is gone (the worker was killed,
the server restarted) is closed as `interrupted` by `close_stale_runs`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

import psycopg

from schema.database import connection
from schema.errors import DatabaseError
from schema.queries import runs as run_log
from schema.queries.locks import lock_is_held, try_lock

Counts = dict[str, object]
# Failures that say nothing about the work: the database went away under it.
TRANSIENT = (psycopg.OperationalError, DatabaseError)
log = logging.getLogger("jobmatch.runs")
STALE = "interrupted: its process or the database stopped while it ran"
# A trigger still pending after this long was lost with its queue message.
TRIGGER_STALE_AFTER_S = 3600.0


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
    SEND_DIGESTS = "send_digests"
    CHECK_CLOSED = "check_closed"


class AlreadyRunningError(RuntimeError):
    """Another process holds the run's lock; the run was recorded as skipped."""


@dataclass
class RunRef:
    """Filled by `logged_run` with the id of the row it recorded."""

    id: int | None = None


@contextmanager
def logged_run(
    url: str,
    task: TaskName,
    lock: str | None = None,
    *,
    args: Sequence[object] | None = None,
    run: RunRef | None = None,
) -> Iterator[Counts]:
    """Run the block under the lock `lock` (default: the task's name), recorded in
    `task_runs` as `task`; the block fills the yielded counts.

    `args` (a queued task's arguments) are recorded so an interrupted run can be queued
    again; `run` receives the row's id. A held lock records a skipped run and raises
    `AlreadyRunningError` before the block runs. An exception in the block marks the
    run failed, or interrupted when transient (when the database still answers), and
    propagates.
    """
    name = lock or task.value
    counts: Counts = {}
    with connection(url, autocommit=True, vectors=False) as conn:
        if not try_lock(conn, name):
            counts["skipped"] = f"{name} is already running"
            run_log.record_skipped(conn, task.value, counts)
            raise AlreadyRunningError(f"{name} is already running")
        run_id = run_log.start_run(conn, task.value, args=args, lock=name)
        if run is not None:
            run.id = run_id
        try:
            yield counts
        except BaseException as error:
            status = "interrupted" if isinstance(error, TRANSIENT) else "failed"
            run_log.fail_quietly(conn, run_id, counts, error, status)
            raise
        status = "skipped" if counts.get("skipped") else "succeeded"
        run_log.finish_run(conn, run_id, status, counts, None)


def close_stale_runs(url: str) -> int:
    """Close every `running` run whose session is gone as `interrupted`; how many."""
    with connection(url, autocommit=True, vectors=False) as conn:
        closed = run_log.close_stale_runs(conn, STALE)
    if closed:
        log.warning("closed %d interrupted run(s): %s", len(closed), closed)
    return len(closed)


def claim_for_retry(url: str, run_id: int, error: BaseException) -> bool:
    """Close an interrupted run and claim its retry for this process; False when the
    recovery sweep claimed it first (it queues the task again itself)."""
    with connection(url, autocommit=True, vectors=False) as conn:
        return run_log.claim_for_retry(conn, run_id, f"interrupted ({type(error).__name__})")


def resume_interrupted(
    url: str, enqueue: Callable[[str, list[object]], bool], max_interruptions: int
) -> int:
    """Close stale runs, then queue again each interrupted run of a queued task
    (`enqueue(task, args)`), unless it was interrupted too often; how many were queued."""
    close_stale_runs(url)
    with connection(url, autocommit=True, vectors=False) as conn:
        claimed = run_log.claim_resumable(conn, max_interruptions)
    queued = sum(1 for run in claimed if enqueue(run.task, run.args))
    if claimed:
        log.warning("queued %d interrupted run(s) again", queued)
    return queued


def wait_for_database(url: str, timeout_s: float, poll_s: float = 1.0) -> bool:
    """Whether the database answers within `timeout_s` (polled every `poll_s`)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with connection(url, autocommit=True, vectors=False) as conn:
                conn.execute("SELECT 1")
            return True
        except (DatabaseError, psycopg.OperationalError):
            if time.monotonic() + poll_s > deadline:
                return False
            time.sleep(poll_s)


def trigger(url: str, lock: str, enqueue: Callable[[], object]) -> bool:
    """Queue a task unless a run under `lock` is queued or running already; True when
    this call queued it, False when it joined the pending or running one."""
    with connection(url, autocommit=True, vectors=False) as conn:
        if lock_is_held(conn, lock) or not run_log.claim_trigger(conn, lock, TRIGGER_STALE_AFTER_S):
            return False
        try:
            enqueue()
        except BaseException:
            run_log.drop_trigger(conn, lock)
            raise
    return True
