"""Reading jobs for the API: a filtered list with keyset pagination, and one job by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from schema.database import Connection

# Lists carry a snippet, not the description: a page of fifty full postings would weigh
# hundreds of kilobytes. The snippet is the description's first 280 characters, kept in
# the row (migration 010). Salaries leave as float8 so they serialise as JSON numbers.
SUMMARY_COLUMNS = (
    "j.id, j.source, j.title, j.company, j.location, j.remote,"
    " j.salary_min::float8 AS salary_min, j.salary_max::float8 AS salary_max,"
    " j.salary_currency, j.tags, j.category, j.url, j.posted_at, j.snippet,"
    " jobmatch_also_at(j.id) AS also_at"
)
# What lists and search offer: postings not found closed (migration 019), one job per
# repost group, the canonical one (migration 020).
OFFERED = "j.closed_at IS NULL AND j.duplicate_of IS NULL"


@dataclass(frozen=True)
class JobFields:
    """What every view of a job carries (rows are built by column name)."""

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


@dataclass(frozen=True)
class JobSummary(JobFields):
    """A job as lists show it: a snippet instead of the description, and the other
    postings of the same job (`{source, url}` each: exact duplicates and reposts)."""

    snippet: str
    also_at: list[dict[str, str]]


@dataclass(frozen=True)
class JobDetail(JobFields):
    """One job with its full description; when its posting was found closed (019) and
    the canonical job it is a repost of (020), None for an open, canonical job."""

    source_id: str
    description: str
    scraped_at: datetime
    also_at: list[dict[str, str]]
    closed_at: datetime | None
    duplicate_of: int | None


@dataclass(frozen=True)
class JobFilters:
    """Filters of `GET /jobs`; None means "any"."""

    remote: bool | None = None
    location: str | None = None
    company: str | None = None
    category: str | None = None
    tag: str | None = None
    min_salary: float | None = None
    posted_since: datetime | None = None


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended in (posted_at DESC, id DESC) order."""

    posted_at: datetime
    id: int


def _like(value: str | None) -> str | None:
    """A substring pattern with the user's own % and _ taken literally."""
    if value is None:
        return None
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_jobs(
    conn: Connection, filters: JobFilters, *, after: Cursor | None, limit: int
) -> list[JobSummary]:
    """Newest first, `limit` jobs after `after`; walks `jobs_posted_at_idx` (no OFFSET)."""
    params: dict[str, object] = {
        "remote": filters.remote,
        "location": _like(filters.location),
        "company": _like(filters.company),
        "category": filters.category,
        "tag": filters.tag,
        "min_salary": filters.min_salary,
        "posted_since": filters.posted_since,
        "after_posted": after.posted_at if after else None,
        "after_id": after.id if after else None,
        "limit": limit,
    }
    with conn.cursor(row_factory=class_row(JobSummary)) as cur:
        cur.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM jobs j"
            f" WHERE {OFFERED}"
            " AND (%(remote)s::boolean IS NULL OR j.remote = %(remote)s)"
            " AND (%(location)s::text IS NULL OR j.location ILIKE %(location)s)"
            " AND (%(company)s::text IS NULL OR j.company ILIKE %(company)s)"
            " AND (%(category)s::text IS NULL OR lower(j.category) = lower(%(category)s))"
            " AND (%(tag)s::text IS NULL OR %(tag)s::text = ANY (j.tags))"
            " AND (%(min_salary)s::float8 IS NULL"
            "      OR coalesce(j.salary_max, j.salary_min) >= %(min_salary)s)"
            " AND (%(posted_since)s::timestamptz IS NULL OR j.posted_at >= %(posted_since)s)"
            " AND (%(after_id)s::bigint IS NULL"
            "      OR (j.posted_at, j.id) < (%(after_posted)s::timestamptz, %(after_id)s))"
            " ORDER BY j.posted_at DESC, j.id DESC LIMIT %(limit)s",
            params,
        )
        return cur.fetchall()


def job_by_id(conn: Connection, job_id: int) -> JobDetail | None:
    """One job with its full description, or None; closed jobs and reposts too (a
    saved job, an application or a link stays readable)."""
    with conn.cursor(row_factory=class_row(JobDetail)) as cur:
        cur.execute(
            "SELECT id, source, source_id, title, company, location, remote,"
            " salary_min::float8 AS salary_min, salary_max::float8 AS salary_max,"
            " salary_currency, tags, category, description, url, posted_at, scraped_at,"
            " jobmatch_also_at(id) AS also_at, closed_at, duplicate_of"
            " FROM jobs WHERE id = %(id)s",
            {"id": job_id},
        )
        return cur.fetchone()


def job_exists(conn: Connection, job_id: int) -> bool:
    """True when a job with this id is stored."""
    row = conn.execute("SELECT 1 FROM jobs WHERE id = %(id)s", {"id": job_id}).fetchone()
    return row is not None


def jobs_by_ids(conn: Connection, ids: list[int]) -> dict[int, JobSummary]:
    """The summaries of these jobs by id (missing ids are absent), in one indexed read."""
    with conn.cursor(row_factory=class_row(JobSummary)) as cur:
        cur.execute(f"SELECT {SUMMARY_COLUMNS} FROM jobs j WHERE j.id = ANY(%(ids)s)", {"ids": ids})
        return {row.id: row for row in cur.fetchall()}
