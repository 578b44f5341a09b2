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


_STATE_SQL = (
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
    " ) AS m"
)


@dataclass(frozen=True)
class ListPage(ListState):
    """The list's state and one page of it as a JSON array (see `recommended_page_json`)."""

    items: str


def list_state(conn: Connection, user_id: int) -> ListState:
    """The active CV and the stored list's metadata, from two primary-key-prefix lookups."""
    with conn.cursor(row_factory=class_row(ListState)) as cur:
        cur.execute(
            _STATE_SQL,
            {"user_id": user_id},
        )
        row = cur.fetchone()
    assert row is not None  # the aggregate always returns one row
    return row


# The page is rendered to JSON by PostgreSQL: decoding fifty rows into Python objects and
# encoding them again cost more CPU than the query itself (bench/api.py), on the API's
# hottest path. The shape is the API's `Recommendation` (server/schemas.py).
_ITEM_JSON = """json_build_object(
    'rank', p.rank, 'match_score', round(p.score::numeric, 4), 'match_reason', p.reason,
    'job', json_build_object(
        'id', p.id, 'source', p.source, 'title', p.title, 'company', p.company,
        'location', p.location, 'remote', p.remote, 'salary_min', p.salary_min,
        'salary_max', p.salary_max, 'salary_currency', p.salary_currency, 'tags', p.tags,
        'category', p.category, 'url', p.url,
        'posted_at', to_char(p.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'snippet', p.snippet))"""


def recommended_page_json(
    conn: Connection,
    user_id: int,
    *,
    remote: bool | None = None,
    location: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> str:
    """A page of the stored list in rank order, as a JSON array, minus jobs the user has
    voted down since; unexpired rows only.

    One read over the `(user_id, rank)` unique index joined to jobs by primary key.
    """
    row = conn.execute(
        _PAGE_SQL,
        {
            "user_id": user_id,
            "remote": remote,
            "location": _pattern(location),
            "offset": offset,
            "limit": limit,
        },
    ).fetchone()
    assert row is not None  # an aggregate always returns a row
    return str(row[0])


def _pattern(location: str | None) -> str | None:
    """A substring pattern with the user's own % and _ taken literally."""
    if location is None:
        return None
    return "%" + location.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_PAGE_SQL = (
    f"SELECT coalesce(json_agg({_ITEM_JSON} ORDER BY p.rank), '[]')::text FROM ("
    f"   SELECT r.rank, r.score, r.reason, {SUMMARY_COLUMNS}"
    "   FROM job_recommendations r JOIN jobs j ON j.id = r.job_id"
    "   WHERE r.user_id = %(user_id)s AND r.expires_at > now()"
    "   AND (%(remote)s::boolean IS NULL OR j.remote = %(remote)s)"
    "   AND (%(location)s::text IS NULL OR j.location ILIKE %(location)s)"
    "   AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.user_id = r.user_id"
    "                   AND f.job_id = r.job_id AND f.vote = 'down')"
    "   ORDER BY r.rank OFFSET %(offset)s LIMIT %(limit)s"
    " ) AS p"
)


def read_list(
    conn: Connection,
    user_id: int,
    *,
    remote: bool | None = None,
    location: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ListPage:
    """`list_state` and `recommended_page_json` in one round trip: what the API serves."""
    with conn.cursor(row_factory=class_row(ListPage)) as cur:
        cur.execute(
            f"SELECT s.*, ({_PAGE_SQL}) AS items FROM ({_STATE_SQL}) AS s",
            {
                "user_id": user_id,
                "remote": remote,
                "location": _pattern(location),
                "offset": offset,
                "limit": limit,
            },
        )
        row = cur.fetchone()
    assert row is not None  # the state query always returns one row
    return row
