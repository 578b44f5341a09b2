"""Word counts of jobs and CVs for the lexical half of the nightly score (migration 014)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from psycopg.rows import class_row

from schema.database import Connection


@dataclass(frozen=True)
class JobForTerms:
    """What a job's words are counted from (the text the product embeds)."""

    id: int
    content_hash: bytes
    title: str
    company: str
    location: str
    remote: bool
    tags: list[str]
    category: str | None
    description: str


@dataclass(frozen=True)
class CvForTerms:
    id: int
    content_hash: bytes
    body: str


@dataclass(frozen=True)
class StoredTerms:
    """One text's counts as stored (`embeddings.lexical.TermCounts.to_bytes`)."""

    owner_id: int
    content_hash: bytes
    keys: bytes
    counts: bytes


def jobs_without_terms(conn: Connection, *, after_id: int, limit: int) -> list[JobForTerms]:
    """Jobs after `after_id` (by id) whose words are not counted for their current text."""
    with conn.cursor(row_factory=class_row(JobForTerms)) as cur:
        cur.execute(
            "SELECT j.id, j.content_hash, j.title, j.company, j.location, j.remote, j.tags,"
            " j.category, j.description FROM jobs j WHERE j.id > %(after)s AND NOT EXISTS"
            " (SELECT 1 FROM job_terms t WHERE t.job_id = j.id"
            "  AND t.content_hash = j.content_hash)"
            " ORDER BY j.id LIMIT %(limit)s",
            {"after": after_id, "limit": limit},
        )
        return cur.fetchall()


def cvs_without_terms(conn: Connection, *, after_id: int, limit: int) -> list[CvForTerms]:
    """Active CVs after `after_id` (by id) whose words are not counted for their text."""
    with conn.cursor(row_factory=class_row(CvForTerms)) as cur:
        cur.execute(
            "SELECT c.id, c.content_hash, c.body FROM cvs c"
            " WHERE c.is_active AND c.id > %(after)s AND NOT EXISTS"
            " (SELECT 1 FROM cv_terms t WHERE t.cv_id = c.id"
            "  AND t.content_hash = c.content_hash)"
            " ORDER BY c.id LIMIT %(limit)s",
            {"after": after_id, "limit": limit},
        )
        return cur.fetchall()


def store_terms(conn: Connection, kind: str, rows: Sequence[StoredTerms]) -> None:
    """Store (or replace) the counts of jobs (`kind` "job") or CVs ("cv"); a text deleted
    meanwhile is skipped."""
    table, key, owners = (
        ("job_terms", "job_id", "jobs") if kind == "job" else ("cv_terms", "cv_id", "cvs")
    )
    ordered = sorted(rows, key=lambda row: row.owner_id)  # one lock order for all writers
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS new_terms (id BIGINT, content_hash BYTEA,"
            " keys BYTEA, counts BYTEA) ON COMMIT DELETE ROWS"
        )
        cur.execute("DELETE FROM new_terms")  # an enclosing transaction's rows
        with cur.copy("COPY new_terms (id, content_hash, keys, counts) FROM STDIN") as copy:
            for row in ordered:
                copy.write_row((row.owner_id, row.content_hash, row.keys, row.counts))
        cur.execute(
            f"INSERT INTO {table} ({key}, content_hash, keys, counts)"
            f" SELECT n.id, n.content_hash, n.keys, n.counts FROM new_terms n"
            f" WHERE EXISTS (SELECT 1 FROM {owners} o WHERE o.id = n.id) ORDER BY n.id"
            f" ON CONFLICT ({key}) DO UPDATE SET content_hash = EXCLUDED.content_hash,"
            " keys = EXCLUDED.keys, counts = EXCLUDED.counts"
        )


@dataclass(frozen=True)
class CatalogTerms:
    """The current counts of a run's candidate jobs, end to end in job id order: each
    job's id and number of distinct words, and all their keys and counts."""

    job_ids: npt.NDArray[np.int64]
    sizes: npt.NDArray[np.int64]
    keys: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int32]


@dataclass(frozen=True)
class _Totals:
    jobs: int
    entries: int


_CATALOG_TERMS = (
    " FROM job_terms t"
    " JOIN jobs j ON j.id = t.job_id AND j.content_hash = t.content_hash"
    " JOIN job_embeddings e ON e.job_id = j.id AND e.model_id = %(model_id)s"
    " WHERE j.posted_at >= %(since)s"
)


def catalog_terms(conn: Connection, model_id: int, since: datetime) -> CatalogTerms:
    """Current counts of every job a generation run may pick (posted at or after `since`,
    with a vector under the model). `conn` must be in autocommit: the counts stream
    with COPY straight into arrays sized by a first query, both in one REPEATABLE READ
    snapshot, so a job counted in between cannot overflow them. (Joining them in
    PostgreSQL and reading one row cost twice the time and three copies of the bytes.)"""
    params = {"model_id": model_id, "since": since}
    with conn.transaction(), conn.cursor(row_factory=class_row(_Totals)) as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute(
            "SELECT count(*) AS jobs, COALESCE(sum(length(t.keys)), 0) / 8 AS entries"
            f" {_CATALOG_TERMS}",
            params,
        )
        totals = cur.fetchone()
        if totals is None:  # an aggregate without GROUP BY always returns one row
            raise RuntimeError("the catalog's word counts query returned no row")
        terms = CatalogTerms(
            job_ids=np.empty(totals.jobs, dtype=np.int64),
            sizes=np.empty(totals.jobs, dtype=np.int64),
            keys=np.empty(totals.entries, dtype=np.int64),
            counts=np.empty(totals.entries, dtype=np.int32),
        )
        query = f"COPY (SELECT t.job_id, t.keys, t.counts {_CATALOG_TERMS} ORDER BY t.job_id)"
        with cur.copy(f"{query} TO STDOUT (FORMAT BINARY)", params) as copy:
            copy.set_types(["int8", "bytea", "bytea"])
            first = 0
            for job, (job_id, keys, counts) in enumerate(copy.rows()):
                last = first + len(keys) // 8
                terms.job_ids[job], terms.sizes[job] = job_id, last - first
                terms.keys[first:last] = np.frombuffer(keys, dtype="<i8")
                terms.counts[first:last] = np.frombuffer(counts, dtype="<i4")
                first = last
    return terms


def cv_terms(conn: Connection, cv_ids: Sequence[int]) -> list[StoredTerms]:
    """Current counts of these CVs."""
    with conn.cursor(row_factory=class_row(StoredTerms), binary=True) as cur:
        cur.execute(
            "SELECT t.cv_id AS owner_id, t.content_hash, t.keys, t.counts FROM cv_terms t"
            " JOIN cvs c ON c.id = t.cv_id AND c.content_hash = t.content_hash"
            " WHERE t.cv_id = ANY(%(ids)s)",
            {"ids": list(cv_ids)},
        )
        return cur.fetchall()
