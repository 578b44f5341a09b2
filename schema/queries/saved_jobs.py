"""Saved jobs: a user's bookmarks, each expiring 10 days after it was saved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from schema.database import Connection
from schema.queries.job_listing import SUMMARY_COLUMNS, JobSummary


@dataclass(frozen=True)
class SavedMark:
    job_id: int
    saved_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class SavedJob(JobSummary):
    """A job as lists show it, with when it was saved, when the save expires and when
    the posting was found closed (019; None while open)."""

    saved_at: datetime
    expires_at: datetime
    job_closed_at: datetime | None


def save_job(conn: Connection, user_id: int, job_id: int) -> SavedMark | None:
    """Save (or re-save, restarting its 10 days) a job; None when the job does not exist."""
    with conn.cursor(row_factory=class_row(SavedMark)) as cur:
        cur.execute(
            "INSERT INTO saved_jobs (user_id, job_id)"
            " SELECT %(user_id)s, id FROM jobs WHERE id = %(job_id)s"
            " ON CONFLICT (user_id, job_id) DO UPDATE"
            " SET saved_at = now(), expires_at = now() + interval '10 days'"
            " RETURNING job_id, saved_at, expires_at",
            {"user_id": user_id, "job_id": job_id},
        )
        return cur.fetchone()


def unsave_job(conn: Connection, user_id: int, job_id: int) -> bool:
    """Forget a saved job; False when this user had not saved it."""
    cur = conn.execute(
        "DELETE FROM saved_jobs WHERE user_id = %(user_id)s AND job_id = %(job_id)s",
        {"user_id": user_id, "job_id": job_id},
    )
    return cur.rowcount > 0


def saved_jobs(conn: Connection, user_id: int, *, limit: int, offset: int) -> list[SavedJob]:
    """The user's unexpired saved jobs, most recently saved first; closed ones too, marked."""
    with conn.cursor(row_factory=class_row(SavedJob)) as cur:
        cur.execute(
            "SELECT s.saved_at, s.expires_at, j.closed_at AS job_closed_at,"
            f" {SUMMARY_COLUMNS}"
            " FROM saved_jobs s JOIN jobs j ON j.id = s.job_id"
            " WHERE s.user_id = %(user_id)s AND s.expires_at > now()"
            " ORDER BY s.saved_at DESC, j.id DESC OFFSET %(offset)s LIMIT %(limit)s",
            {"user_id": user_id, "limit": limit, "offset": offset},
        )
        return cur.fetchall()
