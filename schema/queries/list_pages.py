"""Serving a user's stored top-50: the list's state, and one indexed read of its page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.rows import class_row

from schema.database import Connection
from schema.queries.job_listing import OFFERED, SUMMARY_COLUMNS


@dataclass(frozen=True)
class ListState:
    """One of the user's named CVs (the active one unless another was asked for), its
    current version and its stored list, in one row (fields None when absent)."""

    named_cv_id: int | None
    cv_id: int | None
    cv_created_at: datetime | None
    generated_at: datetime | None
    expires_at: datetime | None
    model: str | None
    model_is_active: bool | None  # the model that should make this user's list now
    total: int
    listed: int  # picks the list was made with (0: nothing fitted; deletions not counted)
    seen: bool | None  # this list was read before (kept in `list_views`)


# The named CV whose list is read: `cv_id` when it is the user's, else (no `cv_id`) their
# active one. Another person's id matches nothing, so the state says "no CV".
_NAMED_CV = (
    "SELECT n.id FROM named_cvs n WHERE n.user_id = %(user_id)s"
    " AND (n.id = %(cv_id)s OR (%(cv_id)s::bigint IS NULL AND n.is_active))"
)

# The stored lists of people's active named CVs, as `l`: what reads "the person's list"
# without choosing among their CVs join (an Atom feed, a digest, ad-hoc SQL).
ACTIVE_LISTS = (
    "recommendation_lists l JOIN named_cvs active_cv"
    " ON active_cv.id = l.named_cv_id AND active_cv.is_active"
)

_STATE_SQL = (
    "SELECT n.id AS named_cv_id, c.id AS cv_id, c.created_at AS cv_created_at,"
    " l.generated_at, l.expires_at, em.name AS model,"
    # The active model, or a running experiment's for the users in its share (018).
    " l.model_id = jobmatch_serving_model(%(user_id)s) AS model_is_active,"
    # Closed postings (019) and reposts (020) leave the list at once: counted and served
    # as if deleted.
    " coalesce((SELECT count(*) FROM jobs j WHERE j.id = ANY (l.job_ids)"
    f"           AND {OFFERED}), 0)::int AS total,"
    " coalesce(cardinality(l.job_ids), 0) AS listed,"
    " EXISTS (SELECT 1 FROM list_views v WHERE v.user_id = %(user_id)s"
    "         AND v.named_cv_id = n.id AND v.generated_at = l.generated_at) AS seen"
    " FROM (SELECT 1) AS one"
    f" LEFT JOIN named_cvs n ON n.id = ({_NAMED_CV})"
    " LEFT JOIN cvs c ON c.named_cv_id = n.id AND c.is_active"
    " LEFT JOIN recommendation_lists l ON l.named_cv_id = n.id"
    " LEFT JOIN embedding_models em ON em.id = l.model_id"
)


@dataclass(frozen=True)
class ListPage(ListState):
    """The list's state and one page of it as a JSON array, UTF-8 (see `read_list`)."""

    items: bytes


class _JsonBytes(Loader):
    """A `json` value as PostgreSQL sent it, UTF-8 bytes: the page goes to the client as
    it is, so decoding it into a str only to encode it again would be wasted work."""

    def load(self, data: Buffer) -> bytes:
        return bytes(data)


def list_state(conn: Connection, user_id: int, *, cv_id: int | None = None) -> ListState:
    """The named CV `cv_id` (default: the active one) and its stored list's metadata,
    from primary-key lookups."""
    with conn.cursor(row_factory=class_row(ListState)) as cur:
        cur.execute(_STATE_SQL, {"user_id": user_id, "cv_id": cv_id})
        row = cur.fetchone()
    assert row is not None  # the aggregate always returns one row
    return row


# The page is rendered to JSON by PostgreSQL: decoding fifty rows into Python objects and
# encoding them again costs more CPU than the query itself, on the API's
# hottest path. The shape is the API's `Recommendation` (server/schemas.py).
_ITEM_JSON = """json_build_object(
    'rank', p.rank, 'match_score', round(p.score::numeric, 4),
    'match_reason', jobmatch_sentence(p.evidence, p.fit, p.shared_skills, p.cv_quote,
                                      p.job_quote),
    'match_parts', jobmatch_match_parts(p.shared_skills, p.cv_quote, p.job_quote),
    'job', json_build_object(
        'id', p.id, 'source', p.source, 'title', p.title, 'company', p.company,
        'location', p.location, 'remote', p.remote, 'salary_min', p.salary_min,
        'salary_max', p.salary_max, 'salary_currency', p.salary_currency, 'tags', p.tags,
        'category', p.category, 'url', p.url,
        'posted_at', to_char(p.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'snippet', p.snippet, 'also_at', p.also_at))"""


def recommended_page_json(
    conn: Connection,
    user_id: int,
    *,
    cv_id: int | None = None,
    remote: bool | None = None,
    location: str | None = None,
    min_salary: float | None = None,
    offset: int = 0,
    limit: int = 50,
) -> str:
    """A page of the stored list of the named CV `cv_id` (default: the user's active
    one) in rank order, as a JSON array, minus jobs the user has voted down since;
    unexpired rows only.

    One primary-key read of the user's list, its jobs joined by primary key.
    """
    params = _page_params(
        user_id,
        cv_id=cv_id,
        remote=remote,
        location=location,
        min_salary=min_salary,
        offset=offset,
        limit=limit,
    )
    row = conn.execute(f"SELECT ({_PAGE_SQL})::text", params).fetchone()
    assert row is not None  # an aggregate always returns a row
    return str(row[0])


def _page_params(
    user_id: int,
    *,
    cv_id: int | None,
    remote: bool | None,
    location: str | None,
    min_salary: float | None,
    offset: int,
    limit: int,
) -> dict[str, object]:
    return {
        "user_id": user_id,
        "cv_id": cv_id,
        "remote": remote,
        "location": _pattern(location),
        "min_salary": min_salary,
        "offset": offset,
        "limit": limit,
    }


def _pattern(location: str | None) -> str | None:
    """A substring pattern with the user's own % and _ taken literally."""
    if location is None:
        return None
    return "%" + location.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# Ranks count the list's jobs that still exist, before the caller's filters. Reasons are
# written here from the stored evidence and profiles (migrations 008 and 013), for the
# page's rows only: profiles are joined after the window and the LIMIT, so the sort that
# numbers the list moves narrow rows. A reason's parts are written once per row, under an
# OFFSET 0 that keeps them from being inlined into each of their two uses (the sentence
# and `match_parts`); its ORDER BY, already the rows' order, spares a sort of the wide
# rows for the aggregate. Each job is fetched by its key (the OFFSET 0 keeps the planner
# from hashing a scan of `jobs` for small catalogs). The CV's profile may be stored out
# of line: the CTE takes (and decompresses) it once, where 50 references to the table's
# column would each fetch it again. A job found closed (019) counts as deleted.
_PAGE_SQL = (
    "WITH cv AS MATERIALIZED ("
    "  SELECT p.term_keys || ''::bytea AS term_keys, p.quote_text || ''::bytea AS quote_text,"
    "   p.quote_starts || '{}'::int[] AS quote_starts, p.quote_ends || '{}'::int[] AS quote_ends"
    "  FROM recommendation_lists l JOIN cv_text_profiles p ON p.cv_id = l.cv_id"
    f"  WHERE l.named_cv_id = ({_NAMED_CV}))"
    f" SELECT coalesce(json_agg({_ITEM_JSON} ORDER BY p.rank), '[]') FROM ("
    "  SELECT page.*,"
    "   jobmatch_shared_skills(page.evidence, jp.term_keys, jp.shown, cv.term_keys)"
    "    AS shared_skills,"
    "   jobmatch_cv_quote(page.evidence, cv.quote_text, cv.quote_starts, cv.quote_ends)"
    "    AS cv_quote,"
    "   jobmatch_job_quote(page.evidence, jp.quote_text, jp.quote_starts, jp.quote_ends)"
    "    AS job_quote"
    "  FROM ("
    "   SELECT * FROM ("
    "    SELECT row_number() OVER (ORDER BY e.position) AS rank, e.score, e.evidence, e.fit,"
    f"     {SUMMARY_COLUMNS}"
    "     FROM recommendation_lists l"
    "     CROSS JOIN LATERAL unnest(l.job_ids, l.scores, l.evidence, l.fits) WITH ORDINALITY"
    "       AS e (job_id, score, evidence, fit, position)"
    "     JOIN LATERAL (SELECT * FROM jobs WHERE jobs.id = e.job_id OFFSET 0) j ON true"
    # A list made before its job closed or became a repost: that job is left out.
    f"     WHERE l.named_cv_id = ({_NAMED_CV}) AND l.expires_at > now() AND {OFFERED}"
    "     AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.user_id = l.user_id"
    "                     AND f.job_id = e.job_id AND f.vote = 'down')"
    "   ) AS ranked"
    "   WHERE (%(remote)s::boolean IS NULL OR ranked.remote = %(remote)s)"
    "   AND (%(location)s::text IS NULL OR ranked.location ILIKE %(location)s)"
    # As search filters: the top of the range (or the only figure) must reach it.
    "   AND (%(min_salary)s::numeric IS NULL"
    "        OR coalesce(ranked.salary_max, ranked.salary_min) >= %(min_salary)s)"
    "   ORDER BY ranked.rank OFFSET %(offset)s LIMIT %(limit)s"
    "  ) AS page"
    "  LEFT JOIN job_text_profiles jp ON jp.job_id = page.id"
    "  LEFT JOIN cv ON true"
    "  ORDER BY page.rank OFFSET 0"
    " ) AS p"
)


def read_list(
    conn: Connection,
    user_id: int,
    *,
    cv_id: int | None = None,
    remote: bool | None = None,
    location: str | None = None,
    min_salary: float | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ListPage:
    """`list_state` and `recommended_page_json` in one round trip: what the API serves."""
    with conn.cursor(row_factory=class_row(ListPage)) as cur:
        cur.adapters.register_loader("json", _JsonBytes)
        cur.execute(
            f"SELECT s.*, ({_PAGE_SQL}) AS items FROM ({_STATE_SQL}) AS s",
            _page_params(
                user_id,
                cv_id=cv_id,
                remote=remote,
                location=location,
                min_salary=min_salary,
                offset=offset,
                limit=limit,
            ),
        )
        row = cur.fetchone()
    assert row is not None  # the state query always returns one row
    return row


@dataclass(frozen=True)
class ListedJob:
    rank: int
    score: float
    job_id: int
    title: str
    company: str
    reason: str


def read_active_list(
    conn: Connection, user_id: int, *, offset: int = 0, limit: int = 50
) -> ListPage:
    """The user's active named CV's list (`read_list` without a `cv_id`): what a reader
    of "the person's list" that offers no choice of CV serves."""
    return read_list(conn, user_id, offset=offset, limit=limit)


def listed_jobs(conn: Connection, user_id: int, limit: int = 10) -> list[ListedJob]:
    """The top of the user's active named CV's stored list with job titles, for the CLI."""
    with conn.cursor(row_factory=class_row(ListedJob)) as cur:
        cur.execute(
            "SELECT r.rank, r.score, r.job_id, j.title, j.company, r.reason"
            " FROM job_recommendations r JOIN jobs j ON j.id = r.job_id"
            f" WHERE r.named_cv_id = ({_NAMED_CV}) ORDER BY r.rank LIMIT %(limit)s",
            {"user_id": user_id, "cv_id": None, "limit": limit},
        )
        return cur.fetchall()
