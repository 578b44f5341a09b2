"""Serving a user's stored top-50: the list's state, and one indexed read of its page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.rows import class_row

from schema.queries.job_listing import SUMMARY_COLUMNS

Connection = psycopg.Connection[tuple[object, ...]]


@dataclass(frozen=True)
class ListState:
    """The user's active CV and stored list, in one row (fields None when absent)."""

    cv_id: int | None
    cv_created_at: datetime | None
    generated_at: datetime | None
    expires_at: datetime | None
    model: str | None
    model_is_active: bool | None
    total: int


@dataclass(frozen=True)
class RecommendedJob:
    rank: int
    score: float
    reason: str
    id: int
    source: str
    title: str
    company: str
    location: str
    remote: bool
    salary_min: float | None
    salary_max: float | None
    salary_currency: str | None
    tags: list[str]
    category: str | None
    url: str
    posted_at: datetime
    snippet: str


def list_state(conn: Connection, user_id: int) -> ListState:
    """The active CV and the stored list's metadata, from two primary-key-prefix lookups."""
    with conn.cursor(row_factory=class_row(ListState)) as cur:
        cur.execute(
            "SELECT c.id AS cv_id, c.created_at AS cv_created_at,"
            " m.generated_at, m.expires_at, m.model, m.model_is_active, m.total"
            " FROM (SELECT 1) AS one"
            " LEFT JOIN cvs c ON c.user_id = %(user_id)s AND c.is_active"
            " CROSS JOIN LATERAL ("
            "   SELECT min(r.generated_at) AS generated_at, min(r.expires_at) AS expires_at,"
            "          min(em.name) AS model, bool_and(em.is_active) AS model_is_active,"
            "          count(*)::int AS total"
            "   FROM job_recommendations r JOIN embedding_models em ON em.id = r.model_id"
            "   WHERE r.user_id = %(user_id)s"
            " ) AS m",
            {"user_id": user_id},
        )
        row = cur.fetchone()
    assert row is not None  # the aggregate always returns one row
    return row


def recommended_page(
    conn: Connection,
    user_id: int,
    *,
    remote: bool | None = None,
    location: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[RecommendedJob]:
    """A page of the stored list in rank order, minus jobs the user has voted down since.

    One read over the `(user_id, rank)` unique index joined to jobs by primary key.
    """
    pattern = None
    if location is not None:
        pattern = "%" + location.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
    with conn.cursor(row_factory=class_row(RecommendedJob)) as cur:
        cur.execute(
            f"SELECT r.rank, r.score::float8 AS score, r.reason, {SUMMARY_COLUMNS}"
            " FROM job_recommendations r JOIN jobs j ON j.id = r.job_id"
            " WHERE r.user_id = %(user_id)s AND r.expires_at > now()"
            " AND (%(remote)s::boolean IS NULL OR j.remote = %(remote)s)"
            " AND (%(location)s::text IS NULL OR j.location ILIKE %(location)s)"
            " AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.user_id = r.user_id"
            "                 AND f.job_id = r.job_id AND f.vote = 'down')"
            " ORDER BY r.rank OFFSET %(offset)s LIMIT %(limit)s",
            {
                "user_id": user_id,
                "remote": remote,
                "location": pattern,
                "offset": offset,
                "limit": limit,
            },
        )
        return cur.fetchall()
