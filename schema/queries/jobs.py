"""Jobs: the normalised record every source yields, and the batched upsert that stores them.

`JobRecord` lives here (re-exported by `workers.sources.base`) because `schema` may not
import `workers`. The upsert copies a batch into a staging table and decides new /
updated / unchanged / duplicate for the whole batch in a handful of set-based statements
(`job_upsert_sql`), so 10,000 jobs cost a few round trips, not 10,000; the full-text
vectors of the jobs it writes are computed by a parallel query beforehand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import psycopg
from psycopg.rows import class_row

from schema.database import Connection
from schema.queries.job_upsert_sql import (
    COPY,
    COPY_TYPES,
    CREATE_STAGE,
    DECIDE,
    FIELDS,
    NEEDS_VECTOR,
    PARALLEL_SETTINGS,
    VECTORS,
    WRITE,
)


class JobRecordError(ValueError):
    """A record breaks one of JobRecord's rules; the message says which."""


@dataclass(frozen=True)
class JobRecord:
    """One job posting, normalised; constructing one with a broken rule raises."""

    source: str
    source_id: str
    title: str
    company: str
    location: str
    remote: bool
    salary_min: Decimal | None
    salary_max: Decimal | None
    salary_currency: str | None
    tags: tuple[str, ...]
    category: str | None
    description: str
    url: str
    posted_at: datetime

    def __post_init__(self) -> None:
        for name in ("source", "source_id", "title", "description"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise JobRecordError(f"{name} is missing or empty")
        for name in ("company", "location", "url"):
            if not isinstance(getattr(self, name), str):
                raise JobRecordError(f"{name} is not text")
        if not isinstance(self.posted_at, datetime) or self.posted_at.utcoffset() is None:
            raise JobRecordError("posted_at is not an aware datetime")
        if self.posted_at.utcoffset() != timedelta(0):
            raise JobRecordError("posted_at is not in UTC")
        if not isinstance(self.tags, tuple) or not all(isinstance(t, str) for t in self.tags):
            raise JobRecordError("tags is not a tuple of text")
        for name in ("salary_min", "salary_max"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, Decimal) or value < 0):
                raise JobRecordError(f"{name} is not a non-negative Decimal")
        if (
            self.salary_min is not None
            and self.salary_max is not None
            and self.salary_min > self.salary_max
        ):
            raise JobRecordError("salary_min is above salary_max")


def content_hash(record: JobRecord) -> bytes:
    """SHA-256 over every field that is embedded; a change in any of them changes it.

    The same as PostgreSQL's `jobmatch_content_hash` (migration 009): the fields joined
    by U+001F, tags by U+001E, a missing category as an empty one.
    """
    embedded = "\x1f".join(
        [
            record.title,
            record.company,
            record.location,
            "\x1e".join(record.tags),
            record.category or "",
            record.description,
        ]
    )
    return hashlib.sha256(embedded.encode()).digest()


@dataclass(frozen=True)
class UpsertCounts:
    """What one upsert did with its batch."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + self.duplicates


_ANALYZE_STAGE = (
    "ANALYZE jobs_stage (ord, source, source_id, dedupe_key, location_key, action, dup_of)"
)


def _upsert_through_stage(
    cur: psycopg.Cursor[tuple[object, ...]], stage: str, latest: dict[tuple[str, str], JobRecord]
) -> dict[str, int]:
    """COPY the batch into the stage table `stage`, decide each row's action there, write
    the jobs, and count the rows per action."""

    def run(statement: str) -> None:
        cur.execute(statement.replace("jobs_stage", stage))

    run("DROP TABLE IF EXISTS jobs_stage_vectors, jobs_stage")
    run(CREATE_STAGE)
    with cur.copy(COPY.replace("jobs_stage", stage)) as copy:
        copy.set_types(COPY_TYPES)
        for ord_, record in enumerate(latest.values()):
            copy.write_row((ord_, *_values(record), content_hash(record)))
    # Statistics only for what the steps join and filter on (the descriptions are what
    # ANALYZE would spend its time reading). `action` and `dup_of` are all NULL now:
    # without that known, `action IS NULL` is guessed to keep a tiny share of the rows
    # and the in-batch dedupe becomes a nested loop over every pair of rows.
    run(_ANALYZE_STAGE)
    for step in DECIDE:
        run(step)
    _compute_vectors(cur, stage)
    for step in WRITE:
        run(step)
    run("SELECT coalesce(action, 'unchanged'), count(*) FROM jobs_stage GROUP BY 1")
    counts = {str(action): int(str(n)) for action, n in cur.fetchall()}
    run("DROP TABLE jobs_stage_vectors, jobs_stage")
    return counts


def upsert_jobs(conn: Connection, records: Sequence[JobRecord]) -> UpsertCounts:
    """Store a batch: insert new jobs, update changed ones, leave unchanged ones untouched.

    A job already known under another source (same normalised company and title,
    compatible location) is not inserted again: its pair is remembered in `job_sources`
    and counted as a duplicate, as is a pair repeated inside the batch (the last wins).
    Runs in one transaction (a savepoint when the caller has one open).
    """
    latest: dict[tuple[str, str], JobRecord] = {}
    for record in records:
        latest[(record.source, record.source_id)] = record
    repeated = len(records) - len(latest)
    if not latest:
        return UpsertCounts(duplicates=repeated)
    stage = f"jobs_stage_{conn.info.backend_pid}"
    with conn.transaction(), conn.cursor() as cur:
        counts = _upsert_through_stage(cur, stage, latest)
    return UpsertCounts(
        new=counts.get("new", 0),
        updated=counts.get("updated", 0),
        unchanged=counts.get("unchanged", 0),
        duplicates=counts.get("duplicate", 0) + repeated,
    )


def _compute_vectors(cur: psycopg.Cursor[tuple[object, ...]], stage: str) -> None:
    """`VECTORS`, as a parallel query when it has rows to compute; the planner's settings
    are restored afterwards, so the rest of the caller's transaction is planned as before.

    A batch of unchanged jobs needs no vector: then the (empty) table is made without
    starting workers.
    """
    vectors = VECTORS.replace("jobs_stage", stage)
    cur.execute(f"SELECT EXISTS ({NEEDS_VECTOR.replace('jobs_stage', stage)})")
    needed = cur.fetchone()
    if not (needed and needed[0]):
        cur.execute(vectors)
        return
    cur.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in PARALLEL_SETTINGS))
    saved = cur.fetchone() or ()
    for name in PARALLEL_SETTINGS:
        cur.execute("SELECT set_config(%s, '0', true)", (name,))
    cur.execute(vectors)
    for name, value in zip(PARALLEL_SETTINGS, saved, strict=True):
        cur.execute("SELECT set_config(%s, %s, true)", (name, value))


def _values(record: JobRecord) -> tuple[object, ...]:
    return (
        record.source,
        record.source_id,
        record.title,
        record.company,
        record.location,
        record.remote,
        record.salary_min,
        record.salary_max,
        record.salary_currency,
        list(record.tags),
        record.category,
        record.description,
        record.url,
        record.posted_at,
    )


def job_values(record: JobRecord) -> dict[str, object]:
    """The record as named SQL parameters (the columns of `jobs`, plus its content hash)."""
    names = [name.strip() for name in FIELDS.split(",")]
    return {**dict(zip(names, _values(record), strict=True)), "content_hash": content_hash(record)}


@dataclass(frozen=True)
class StoredJob:
    """A job as stored, with the other sources it was also seen under."""

    id: int
    source: str
    source_id: str
    title: str
    company: str
    location: str
    description: str
    content_hash: bytes
    posted_at: datetime
    updated_at: datetime
    other_sources: list[str]


def find_job(conn: Connection, source: str, source_id: str) -> StoredJob | None:
    """The job stored for a (source, source_id) pair, directly or as a remembered duplicate."""
    with conn.cursor(row_factory=class_row(StoredJob)) as cur:
        cur.execute(
            "SELECT j.id, j.source, j.source_id, j.title, j.company, j.location,"
            " j.description, j.content_hash, j.posted_at, j.updated_at,"
            " ARRAY(SELECT js.source || ':' || js.source_id FROM job_sources js"
            "       WHERE js.job_id = j.id ORDER BY 1) AS other_sources"
            " FROM jobs j WHERE (j.source = %(source)s AND j.source_id = %(source_id)s)"
            " OR j.id = (SELECT job_id FROM job_sources"
            "            WHERE source = %(source)s AND source_id = %(source_id)s)",
            {"source": source, "source_id": source_id},
        )
        return cur.fetchone()
