"""What a person did with each job of a page: saved it, applied, voted."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg.rows import class_row

from schema.database import Connection


@dataclass(frozen=True)
class JobMarks:
    job_id: int
    saved: bool
    applied: bool
    vote: str | None


def job_marks(conn: Connection, user_id: int, job_ids: list[int]) -> dict[int, JobMarks]:
    """Marks of the listed jobs that carry any (one round trip, by primary keys)."""
    if not job_ids:
        return {}
    with conn.cursor(row_factory=class_row(JobMarks)) as cur:
        cur.execute(
            "SELECT j.id AS job_id,"
            " EXISTS (SELECT 1 FROM saved_jobs s WHERE s.user_id = %(user_id)s"
            "         AND s.job_id = j.id AND s.expires_at > now()) AS saved,"
            " EXISTS (SELECT 1 FROM applications a WHERE a.user_id = %(user_id)s"
            "         AND a.job_id = j.id) AS applied,"
            " (SELECT f.vote FROM feedback f WHERE f.user_id = %(user_id)s"
            "  AND f.job_id = j.id) AS vote"
            " FROM unnest(%(ids)s::bigint[]) AS j (id)",
            {"user_id": user_id, "ids": job_ids},
        )
        return {row.job_id: row for row in cur.fetchall()}
