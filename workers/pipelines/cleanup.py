"""The nightly cleanup: expired saved jobs, expired recommendations, week-old jobs.

Each part is its own short transaction, so the three scheduled tasks can run them one by
one and `jobmatch cleanup` can run all three. A dry run counts and lists, deleting nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

from schema.database import Connection, connection
from schema.queries import cleanup as q
from workers.pipelines.runs import TaskName

PARTS = ("saved_jobs", "recommendations", "jobs")
# The recorded cleanup runs and the parts each does: one per nightly slot, and all three.
CLEANUP_PARTS: dict[TaskName, tuple[str, ...]] = {
    TaskName.CLEANUP_SAVED_JOBS: ("saved_jobs",),
    TaskName.CLEANUP_RECOMMENDATIONS: ("recommendations",),
    TaskName.CLEANUP_JOBS: ("jobs",),
    TaskName.CLEANUP_ALL: PARTS,
}


@dataclass
class CleanupSummary:
    """How many rows of each kind went (or would go, in a dry run)."""

    dry_run: bool = False
    saved_jobs: int = 0
    recommendations: int = 0
    jobs: int = 0
    jobs_listed: list[q.OldJob] = field(default_factory=list)

    def counts(self) -> dict[str, object]:
        """The summary as `task_runs.counts`."""
        return {
            "dry_run": self.dry_run,
            "saved_jobs": self.saved_jobs,
            "recommendations": self.recommendations,
            "jobs": self.jobs,
        }


def cleanup(
    url: str,
    *,
    parts: Sequence[str] = PARTS,
    dry_run: bool = False,
    list_limit: int | None = 50,
    now: datetime | None = None,
) -> CleanupSummary:
    """Delete (or with `dry_run`, count and list) what has expired, part by part."""
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"unknown cleanup part(s) {unknown}; choose from {PARTS}")
    now = now or datetime.now(UTC)
    summary = CleanupSummary(dry_run=dry_run)
    with connection(url, autocommit=True, vectors=False) as conn:
        if "saved_jobs" in parts:
            summary.saved_jobs = (
                q.count_expired_saved_jobs(conn, now)
                if dry_run
                else q.delete_expired_saved_jobs(conn, now)
            )
        if "recommendations" in parts:
            summary.recommendations = (
                q.count_expired_recommendations(conn, now)
                if dry_run
                else q.delete_expired_recommendations(conn, now)
            )
        if "jobs" in parts:
            if dry_run:
                summary.jobs = q.count_old_jobs(conn, now)
                summary.jobs_listed = q.old_jobs(conn, now, limit=list_limit)
            else:
                summary.jobs = _delete_old_jobs(conn, now)
    return summary


def _delete_old_jobs(conn: Connection, now: datetime) -> int:
    """Retry once when an application lands between the check and the delete: the
    RESTRICT key refuses the delete, and the second pass no longer picks that job."""
    try:
        return q.delete_old_jobs(conn, now)
    except psycopg.errors.ForeignKeyViolation:
        return q.delete_old_jobs(conn, now)
