"""Jobs: the normalised record every source yields, and the batched upsert that stores them.

`JobRecord` lives here (re-exported by `workers.sources.base`) because `schema` may not
import `workers`. The upsert copies a batch into a temporary staging table and decides
new / updated / unchanged / duplicate for the whole batch in a handful of set-based
statements, so 10,000 jobs cost a few round trips, not 10,000.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import psycopg
from psycopg.rows import class_row

Connection = psycopg.Connection[tuple[object, ...]]


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
    """SHA-256 over every field that is embedded; a change in any of them changes it."""
    embedded = [
        record.title,
        record.company,
        record.location,
        list(record.tags),
        record.category,
        record.description,
    ]
    return hashlib.sha256(json.dumps(embedded, ensure_ascii=False).encode()).digest()


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


_FIELDS = (
    "source, source_id, title, company, location, remote, salary_min, salary_max,"
    " salary_currency, tags, category, description, url, posted_at"
)

# Rows of the batch, plus what the upsert decided for each (`action`, `job_id`, whether a
# known job's text changed) and, for a cross-source duplicate inside the batch, the `ord`
# of the row it collapses into. Not a TEMP table: parallel workers cannot read those, and
# the search vectors are computed by a parallel scan of this table (`_VECTORS`). UNLOGGED,
# created and dropped inside the caller's transaction (a rollback removes it too), and
# named after the backend, so concurrent runs never share one.
_CREATE_STAGE = """
CREATE UNLOGGED TABLE jobs_stage (
    ord INTEGER NOT NULL, source TEXT, source_id TEXT, title TEXT, company TEXT,
    location TEXT, remote BOOLEAN, salary_min NUMERIC, salary_max NUMERIC,
    salary_currency TEXT, tags TEXT[], category TEXT, description TEXT, url TEXT,
    posted_at TIMESTAMPTZ, content_hash BYTEA,
    dedupe_key TEXT GENERATED ALWAYS AS (jobmatch_dedupe_key(company, title)) STORED,
    location_key TEXT GENERATED ALWAYS AS (jobmatch_location_key(location)) STORED,
    job_id BIGINT, action TEXT, dup_of INTEGER, new_text BOOLEAN
) WITH (parallel_workers = 2, autovacuum_enabled = false);
-- The stage lives for one transaction: compressing its descriptions would be wasted work
-- (and `jobs` takes them uncompressed or lz4, see migration 004). They stay out of line:
-- kept in the row, every statement's scan and every UPDATE of a row's action would
-- read or copy ~4 KB per row (+0.3 s of server CPU for 10,000 unchanged jobs).
ALTER TABLE jobs_stage ALTER COLUMN description SET STORAGE EXTERNAL
"""

# The rows whose full-text vector the upsert stores: new jobs and known ones whose text
# changed. CREATE TABLE AS is the one writing statement PostgreSQL runs as a parallel
# query: up to `parallel_workers` workers (capped by the server's
# max_parallel_workers_per_gather) and the backend itself each compute a share. Without
# free workers the backend computes them all, as the generated column did. The largest
# tuple target keeps a vector (~4 KB, read once by the INSERT) in its row: no TOAST table
# writes, and no pglz tries, which save nothing on vectors (-0.1 s per 10,000 new jobs).
_NEEDS_VECTOR = """
SELECT ord, title, company, tags, description
FROM jobs_stage WHERE (action IS NULL AND dup_of IS NULL) OR new_text"""
_VECTORS = f"""
CREATE UNLOGGED TABLE jobs_stage_vectors WITH (toast_tuple_target = 8160) AS
SELECT ord, jobmatch_search_vector(title, company, tags, description) AS search_vector
FROM ({_NEEDS_VECTOR}) needed
"""

# A chunk (~100 pages of stage) is far below the planner's size and cost thresholds for a
# parallel plan, and it cannot see what to_tsvector costs (the function is inlined, so its
# COST is ignored): these make it plan the parallel scan the stage's reloption asks for.
_PARALLEL_SETTINGS = ("parallel_setup_cost", "parallel_tuple_cost")

# Binary: the server copies each value as it comes instead of unescaping ~4 KB of text per
# description (and psycopg's C dumpers format it faster than text rows).
_COPY = f"COPY jobs_stage (ord, {_FIELDS}, content_hash) FROM STDIN (FORMAT BINARY)"
_COPY_TYPES = [
    *["int4", "text", "text", "text", "text", "text", "bool", "numeric", "numeric", "text"],
    *["text[]", "text", "text", "text", "timestamptz", "bytea"],
]  # ord, the fields in _FIELDS' order, content_hash


def _compatible(a: str, b: str) -> str:
    """SQL: the locations of `a` and `b` may be the same place ('' is anywhere)."""
    return (
        f"({a}.location_key = '' OR {b}.location_key = ''"
        f" OR strpos({a}.location_key, {b}.location_key) > 0"
        f" OR strpos({b}.location_key, {a}.location_key) > 0)"
    )


# What to do with each staged row; nothing in `jobs` changes yet.
_DECIDE = (
    # 1. Known (source, source_id): unchanged when nothing stored differs, else updated.
    """UPDATE jobs_stage s SET job_id = j.id, new_text = j.content_hash <> s.content_hash,
        action = CASE
        WHEN j.content_hash = s.content_hash
         AND (j.remote, j.salary_min, j.salary_max, j.salary_currency, j.url, j.posted_at)
             IS NOT DISTINCT FROM
             (s.remote, s.salary_min, s.salary_max, s.salary_currency, s.url, s.posted_at)
        THEN 'unchanged' ELSE 'updated' END
    FROM jobs j WHERE j.source = s.source AND j.source_id = s.source_id""",
    # 2. Pairs already remembered as another job's duplicate.
    """UPDATE jobs_stage s SET job_id = js.job_id, action = 'duplicate'
    FROM job_sources js
    WHERE s.action IS NULL AND js.source = s.source AND js.source_id = s.source_id""",
    # 3. Inside the batch: a row with an earlier same-key row from another source is a
    #    duplicate of the earliest such row that is not itself one (no chains).
    f"""UPDATE jobs_stage s SET dup_of = -1
    WHERE s.action IS NULL AND s.dedupe_key <> '' AND EXISTS (
        SELECT 1 FROM jobs_stage e
        WHERE e.action IS NULL AND e.ord < s.ord AND e.dedupe_key = s.dedupe_key
          AND e.source <> s.source AND {_compatible("e", "s")})""",
    f"""UPDATE jobs_stage s SET dup_of = (
        SELECT min(c.ord) FROM jobs_stage c
        WHERE c.action IS NULL AND c.dup_of IS NULL AND c.ord < s.ord
          AND c.dedupe_key = s.dedupe_key AND c.source <> s.source
          AND {_compatible("c", "s")})
    WHERE s.dup_of = -1""",
    # 4. Against stored jobs of other sources.
    f"""UPDATE jobs_stage s SET job_id = m.job_id, action = 'duplicate'
    FROM (
        SELECT DISTINCT ON (c.ord) c.ord, j.id AS job_id
        FROM jobs_stage c JOIN jobs j ON j.dedupe_key = c.dedupe_key
        WHERE c.action IS NULL AND c.dup_of IS NULL AND c.dedupe_key <> ''
          AND j.source <> c.source AND {_compatible("j", "c")}
        ORDER BY c.ord, j.id
    ) m
    WHERE s.ord = m.ord""",
)

# The writes, once the search vectors they need are in `jobs_stage_vectors`.
_WRITE = (
    # 5. The rest is new. A concurrent run may have inserted the same pair meanwhile:
    #    DO NOTHING leaves those rows without an action; they count as unchanged.
    f"""WITH inserted AS (
        INSERT INTO jobs ({_FIELDS}, content_hash, search_vector)
        SELECT {_FIELDS}, content_hash, v.search_vector
        FROM jobs_stage LEFT JOIN jobs_stage_vectors v USING (ord)
        WHERE action IS NULL AND dup_of IS NULL ORDER BY ord
        ON CONFLICT (source, source_id) DO NOTHING
        RETURNING id, source, source_id
    )
    UPDATE jobs_stage s SET job_id = i.id, action = 'new'
    FROM inserted i WHERE s.source = i.source AND s.source_id = i.source_id""",
    """UPDATE jobs_stage s SET job_id = c.job_id, action = 'duplicate'
    FROM jobs_stage c WHERE s.action IS NULL AND s.dup_of = c.ord""",
    # 6. Changed text: every column, with the new search vector (the dedupe keys are
    #    recomputed as generated columns).
    """UPDATE jobs j SET title = s.title, company = s.company, location = s.location,
        remote = s.remote, salary_min = s.salary_min, salary_max = s.salary_max,
        salary_currency = s.salary_currency, tags = s.tags, category = s.category,
        description = s.description, url = s.url, posted_at = s.posted_at,
        content_hash = s.content_hash, search_vector = v.search_vector,
        scraped_at = now(), updated_at = now()
    FROM jobs_stage s LEFT JOIN jobs_stage_vectors v USING (ord)
    WHERE s.action = 'updated' AND j.id = s.job_id AND s.new_text""",
    # 7. Same text, other facts changed (a repost's date, a salary, the url): the text
    #    columns are left out, so neither the generated dedupe keys nor the search vector
    #    trigger (migration 007) compute anything again.
    """UPDATE jobs j SET remote = s.remote, salary_min = s.salary_min,
        salary_max = s.salary_max, salary_currency = s.salary_currency, url = s.url,
        posted_at = s.posted_at, scraped_at = now(), updated_at = now()
    FROM jobs_stage s
    WHERE s.action = 'updated' AND j.id = s.job_id AND NOT s.new_text""",
    """INSERT INTO job_sources (source, source_id, job_id, url)
    SELECT source, source_id, job_id, url FROM jobs_stage WHERE action = 'duplicate'
    ON CONFLICT (source, source_id) DO UPDATE SET last_seen = now()""",
)


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

    def run(statement: str) -> None:
        cur.execute(statement.replace("jobs_stage", stage))

    with conn.transaction(), conn.cursor() as cur:
        run("DROP TABLE IF EXISTS jobs_stage_vectors, jobs_stage")
        run(_CREATE_STAGE)
        with cur.copy(_COPY.replace("jobs_stage", stage)) as copy:
            copy.set_types(_COPY_TYPES)
            for ord_, record in enumerate(latest.values()):
                copy.write_row((ord_, *_values(record), content_hash(record)))
        # Statistics only for what the steps join and filter on: the descriptions are
        # what ANALYZE would spend its time reading.
        run("ANALYZE jobs_stage (ord, source, source_id, dedupe_key, location_key)")
        for step in _DECIDE:
            run(step)
        _compute_vectors(cur, stage)
        for step in _WRITE:
            run(step)
        run("SELECT coalesce(action, 'unchanged'), count(*) FROM jobs_stage GROUP BY 1")
        counts = {str(action): int(str(n)) for action, n in cur.fetchall()}
        run("DROP TABLE jobs_stage_vectors, jobs_stage")
    return UpsertCounts(
        new=counts.get("new", 0),
        updated=counts.get("updated", 0),
        unchanged=counts.get("unchanged", 0),
        duplicates=counts.get("duplicate", 0) + repeated,
    )


def _compute_vectors(cur: psycopg.Cursor[tuple[object, ...]], stage: str) -> None:
    """`_VECTORS`, as a parallel query when it has rows to compute; the planner's settings
    are restored afterwards, so the rest of the caller's transaction is planned as before.

    A batch of unchanged jobs needs no vector: then the (empty) table is made without
    starting workers (~10 ms each time).
    """
    vectors = _VECTORS.replace("jobs_stage", stage)
    cur.execute(f"SELECT EXISTS ({_NEEDS_VECTOR.replace('jobs_stage', stage)})")
    needed = cur.fetchone()
    if not (needed and needed[0]):
        cur.execute(vectors)
        return
    cur.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in _PARALLEL_SETTINGS))
    saved = cur.fetchone() or ()
    for name in _PARALLEL_SETTINGS:
        cur.execute("SELECT set_config(%s, '0', true)", (name,))
    cur.execute(vectors)
    for name, value in zip(_PARALLEL_SETTINGS, saved, strict=True):
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
    names = [name.strip() for name in _FIELDS.split(",")]
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
