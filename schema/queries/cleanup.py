"""Cleanup: expired saved jobs, expired recommendations, old jobs nobody applied to.

A job with an application is never deleted: the foreign key is ON DELETE RESTRICT, so
the delete excludes such jobs itself rather than failing on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg.rows import class_row

from schema.database import Connection

SAVED_JOB_DAYS = 10
JOB_DAYS = 7

_SAVED = "FROM saved_jobs WHERE expires_at <= %(now)s OR saved_at < %(cutoff)s"
_RECOMMENDATIONS = "FROM recommendation_lists WHERE expires_at <= %(now)s"
# FOR UPDATE SKIP LOCKED: a job whose application is being inserted right now holds a
# key-share lock, so it is skipped rather than deleted under the new application.
_OLD_JOBS = (
    "SELECT j.id FROM jobs j WHERE j.posted_at < %(cutoff)s"
    " AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.job_id = j.id)"
)


@dataclass(frozen=True)
class OldJob:
    id: int
    title: str
    company: str
    posted_at: datetime


def _count(conn: Connection, query: str, params: dict[str, object]) -> int:
    row = conn.execute("SELECT count(*) " + query, params).fetchone()
    return int(str(row[0])) if row else 0


def count_expired_saved_jobs(conn: Connection, now: datetime) -> int:
    """Saved jobs past their expiry or saved more than 10 days ago."""
    cutoff = now - timedelta(days=SAVED_JOB_DAYS)
    return _count(conn, _SAVED, {"now": now, "cutoff": cutoff})


def delete_expired_saved_jobs(conn: Connection, now: datetime) -> int:
    """Delete what `count_expired_saved_jobs` counts; how many went."""
    cutoff = now - timedelta(days=SAVED_JOB_DAYS)
    return conn.execute("DELETE " + _SAVED, {"now": now, "cutoff": cutoff}).rowcount


def count_expired_recommendations(conn: Connection, now: datetime) -> int:
    """Recommendations in lists past `expires_at`."""
    row = conn.execute(
        "SELECT coalesce(sum(cardinality(job_ids)), 0) " + _RECOMMENDATIONS, {"now": now}
    ).fetchone()
    return int(str(row[0])) if row else 0


def delete_expired_recommendations(conn: Connection, now: datetime) -> int:
    """Delete the lists `count_expired_recommendations` counts; how many
    recommendations went."""
    rows = conn.execute(
        "DELETE " + _RECOMMENDATIONS + " RETURNING cardinality(job_ids)", {"now": now}
    ).fetchall()
    return sum(int(str(count)) for (count,) in rows)


def old_jobs(conn: Connection, now: datetime, *, limit: int | None = None) -> list[OldJob]:
    """Jobs posted more than 7 days ago that nobody applied to, oldest first."""
    with conn.cursor(row_factory=class_row(OldJob)) as cur:
        cur.execute(
            "SELECT id, title, company, posted_at FROM jobs WHERE id IN (" + _OLD_JOBS + ")"
            " ORDER BY posted_at, id LIMIT %(limit)s",
            {"cutoff": now - timedelta(days=JOB_DAYS), "limit": limit},
        )
        return cur.fetchall()


def count_old_jobs(conn: Connection, now: datetime) -> int:
    """How many jobs `delete_old_jobs` would delete."""
    cutoff = now - timedelta(days=JOB_DAYS)
    return _count(conn, "FROM (" + _OLD_JOBS + ") AS old", {"cutoff": cutoff})


def delete_old_jobs(conn: Connection, now: datetime) -> int:
    """Delete jobs posted more than 7 days ago, except any with an application; their
    vectors, recommendations, saves and votes go with them (cascade)."""
    return conn.execute(
        "DELETE FROM jobs WHERE id IN (" + _OLD_JOBS + " FOR UPDATE OF j SKIP LOCKED)",
        {"cutoff": now - timedelta(days=JOB_DAYS)},
    ).rowcount
