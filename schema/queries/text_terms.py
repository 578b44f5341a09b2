"""Word counts of jobs and CVs for the lexical half of the nightly score (migration 014)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

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
    job's id and number of distinct words, and all their keys and counts as stored."""

    job_ids: list[int]
    sizes: list[int]
    keys: bytes
    counts: bytes


def catalog_terms(conn: Connection, model_id: int, since: datetime) -> CatalogTerms:
    """Current counts of every job a generation run may pick (posted at or after `since`,
    with a vector under the model), joined by PostgreSQL into one row: 20,000 rows of
    two bytea each cost the client more to take apart than the rest of the catalog."""
    with conn.cursor(row_factory=class_row(CatalogTerms), binary=True) as cur:
        cur.execute(
            "SELECT COALESCE(array_agg(t.job_id ORDER BY t.job_id), '{}') AS job_ids,"
            " COALESCE(array_agg(length(t.keys) / 8 ORDER BY t.job_id), '{}') AS sizes,"
            " COALESCE(string_agg(t.keys, ''::bytea ORDER BY t.job_id), '') AS keys,"
            " COALESCE(string_agg(t.counts, ''::bytea ORDER BY t.job_id), '') AS counts"
            " FROM job_terms t"
            " JOIN jobs j ON j.id = t.job_id AND j.content_hash = t.content_hash"
            " JOIN job_embeddings e ON e.job_id = j.id AND e.model_id = %(model_id)s"
            " WHERE j.posted_at >= %(since)s",
            {"model_id": model_id, "since": since},
        )
        row = cur.fetchone()
    if row is None:  # an aggregate without GROUP BY always returns one row
        raise RuntimeError("the catalog's word counts query returned no row")
    return row


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
