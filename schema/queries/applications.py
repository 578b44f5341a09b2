"""Applications: one per user and job; a job with an application is never deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from schema.database import Connection
from schema.queries.job_listing import SUMMARY_COLUMNS, JobSummary


@dataclass(frozen=True)
class Application:
    id: int
    job_id: int
    status: str
    note: str
    applied_at: datetime


@dataclass(frozen=True)
class ApplicationWithJob(JobSummary):
    """A job as lists show it, with the application's id, status, note and time, and
    when the posting was found closed (019; None while open)."""

    application_id: int
    status: str
    note: str
    applied_at: datetime
    job_closed_at: datetime | None


class AlreadyAppliedError(Exception):
    """The user has applied to this job before."""


def apply(conn: Connection, user_id: int, job_id: int, note: str) -> Application | None:
    """Record an application; None when the job does not exist.

    Raises `AlreadyAppliedError` when the user applied to this job before.
    """
    with conn.cursor(row_factory=class_row(Application)) as cur:
        cur.execute(
            "INSERT INTO applications (user_id, job_id, note)"
            " SELECT %(user_id)s, id, %(note)s FROM jobs WHERE id = %(job_id)s"
            " ON CONFLICT (user_id, job_id) DO NOTHING"
            " RETURNING id, job_id, status, note, applied_at",
            {"user_id": user_id, "job_id": job_id, "note": note},
        )
        row = cur.fetchone()
    if row is not None:
        return row
    exists = conn.execute("SELECT 1 FROM jobs WHERE id = %(id)s", {"id": job_id}).fetchone()
    if exists is None:
        return None
    raise AlreadyAppliedError(f"you have already applied to job {job_id}")


def applications(
    conn: Connection, user_id: int, *, limit: int, offset: int
) -> list[ApplicationWithJob]:
    """The user's applications with their jobs, newest first."""
    with conn.cursor(row_factory=class_row(ApplicationWithJob)) as cur:
        cur.execute(
            "SELECT a.id AS application_id, a.status, a.note, a.applied_at,"
            " j.closed_at AS job_closed_at,"
            f" {SUMMARY_COLUMNS}"
            " FROM applications a JOIN jobs j ON j.id = a.job_id"
            " WHERE a.user_id = %(user_id)s"
            " ORDER BY a.applied_at DESC, a.id DESC OFFSET %(offset)s LIMIT %(limit)s",
            {"user_id": user_id, "limit": limit, "offset": offset},
        )
        return cur.fetchall()
