"""Closed postings (019): which jobs to check, each check recorded, the counts by outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from schema.database import Connection

OUTCOMES = ("open", "closed", "unknown")


@dataclass(frozen=True)
class JobToCheck:
    job_id: int
    url: str


@dataclass(frozen=True)
class NewCheck:
    """One check's result, as `job_checks` stores it."""

    job_id: int
    checked_at: datetime
    outcome: str
    http_status: int | None
    final_url: str | None
    detail: str


@dataclass(frozen=True)
class CheckCounts:
    """Checks by outcome (all kept, and those of the last day) and jobs marked closed."""

    checks: dict[str, int]
    last_day: dict[str, int]
    closed_jobs: int
    last_checked_at: datetime | None


# The jobs a user sees in the first `top` places of an unexpired list (one per named CV):
# the list's jobs that still exist, are open, not a repost and not voted down by that
# user, numbered in list order.
# Those most users see go first; a job checked since `fresh_after` is not asked again.
_TO_CHECK = """
WITH visible AS (
    SELECT e.job_id,
           row_number() OVER (PARTITION BY l.named_cv_id ORDER BY e.position) AS place
    FROM recommendation_lists l
    CROSS JOIN LATERAL unnest(l.job_ids) WITH ORDINALITY AS e (job_id, position)
    JOIN jobs j ON j.id = e.job_id AND j.closed_at IS NULL AND j.duplicate_of IS NULL
    WHERE l.expires_at > %(now)s
    AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.user_id = l.user_id
                    AND f.job_id = e.job_id AND f.vote = 'down')
)
SELECT j.id AS job_id, j.url FROM (
    SELECT job_id, count(*) AS users FROM visible WHERE place <= %(top)s GROUP BY job_id
) AS listed
JOIN jobs j ON j.id = listed.job_id
WHERE j.url <> ''
AND NOT EXISTS (SELECT 1 FROM job_checks c WHERE c.job_id = j.id
                AND c.checked_at > %(fresh_after)s)
ORDER BY listed.users DESC, j.id
LIMIT %(limit)s
"""


def jobs_to_check(
    conn: Connection, *, top: int, now: datetime, fresh_after: datetime, limit: int | None
) -> list[JobToCheck]:
    """Open jobs in any user's first `top` places, not checked since `fresh_after`."""
    with conn.cursor(row_factory=class_row(JobToCheck)) as cur:
        params = {"top": top, "now": now, "fresh_after": fresh_after, "limit": limit}
        cur.execute(_TO_CHECK, params)
        return cur.fetchall()


def record_checks(conn: Connection, checks: Sequence[NewCheck]) -> int:
    """Store the checks and mark the jobs found closed, in one transaction; how many jobs
    were newly closed. A job deleted while it was checked is skipped."""
    rows = [vars(check) for check in checks]
    closed = [check for check in checks if check.outcome == "closed"]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO job_checks (job_id, checked_at, outcome, http_status, final_url, detail)"
            " SELECT id, %(checked_at)s, %(outcome)s, %(http_status)s, %(final_url)s,"
            " %(detail)s FROM jobs WHERE id = %(job_id)s",
            rows,
        )
        if not closed:
            return 0
        cur.execute(
            "UPDATE jobs j SET closed_at = c.checked_at"
            " FROM unnest(%(ids)s::bigint[], %(times)s::timestamptz[]) AS c (id, checked_at)"
            " WHERE j.id = c.id AND j.closed_at IS NULL",
            {"ids": [c.job_id for c in closed], "times": [c.checked_at for c in closed]},
        )
        return cur.rowcount


def check_counts(conn: Connection, since: datetime) -> CheckCounts | None:
    """Checks by outcome, all and since `since`; closed jobs; the last check's time.
    None on a database without migration 019."""
    exists = conn.execute("SELECT to_regclass('job_checks') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    rows = conn.execute(
        "SELECT outcome, count(*), count(*) FILTER (WHERE checked_at >= %(since)s),"
        " max(checked_at) FROM job_checks GROUP BY outcome",
        {"since": since},
    ).fetchall()
    checks = dict.fromkeys(OUTCOMES, 0)
    last_day = dict.fromkeys(OUTCOMES, 0)
    last: datetime | None = None
    for outcome, total, recent, latest in rows:
        checks[str(outcome)] = int(str(total))
        last_day[str(outcome)] = int(str(recent))
        if isinstance(latest, datetime) and (last is None or latest > last):
            last = latest
    closed = conn.execute("SELECT count(*) FROM jobs WHERE closed_at IS NOT NULL").fetchone()
    return CheckCounts(checks, last_day, int(str(closed[0])) if closed else 0, last)
