"""Stored profiles of job and CV texts for reasons, valid while their text is unchanged.

A profile is stored with the content hash of the job or CV it was made from and the
version of the profiling code; a lookup returns only profiles whose hash and version
still match, so a changed text or new profiling code is simply profiled again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import psycopg
from psycopg.rows import class_row

from schema.database import Connection


@dataclass(frozen=True)
class StoredKeys:
    """A stored profile's term keys (little-endian int64s) and whose they are."""

    owner_id: int
    term_keys: bytes


@dataclass(frozen=True)
class JobText:
    id: int
    content_hash: bytes
    title: str
    tags: list[str]
    description: str


@dataclass(frozen=True)
class CvText:
    id: int
    content_hash: bytes
    body: str


Row = TypeVar("Row")


@dataclass(frozen=True)
class NewProfile:
    """A profile to store (see `embeddings.reasons.TextProfile`)."""

    owner_id: int
    content_hash: bytes  # of the text it was made from
    term_keys: bytes
    quote_text: bytes
    quote_starts: Sequence[int]
    quote_ends: Sequence[int]
    shown: Sequence[str]  # jobs only


def catalog_job_keys(
    conn: Connection, model_id: int, since: datetime, version: int
) -> list[StoredKeys]:
    """The term keys of every job a generation run may pick (posted at or after
    `since`, with a vector under the model) that has a current profile."""
    return _fetch(
        conn,
        StoredKeys,
        "SELECT p.job_id AS owner_id, p.term_keys FROM job_text_profiles p"
        " JOIN jobs j ON j.id = p.job_id AND j.content_hash = p.content_hash"
        " JOIN job_embeddings e ON e.job_id = j.id AND e.model_id = %(model_id)s"
        " WHERE j.posted_at >= %(since)s AND p.version = %(version)s",
        {"model_id": model_id, "since": since, "version": version},
    )


def cv_keys(conn: Connection, cv_ids: Sequence[int], version: int) -> list[StoredKeys]:
    """The term keys of these CVs' current profiles."""
    return _fetch(
        conn,
        StoredKeys,
        "SELECT p.cv_id AS owner_id, p.term_keys FROM cv_text_profiles p"
        " JOIN cvs c ON c.id = p.cv_id AND c.content_hash = p.content_hash"
        " WHERE p.cv_id = ANY(%(ids)s) AND p.version = %(version)s",
        {"ids": list(cv_ids), "version": version},
    )


def job_texts(conn: Connection, job_ids: Sequence[int]) -> list[JobText]:
    """Title, tags and description of these jobs (a job deleted meanwhile is absent)."""
    return _fetch(
        conn,
        JobText,
        "SELECT id, content_hash, title, tags, description FROM jobs WHERE id = ANY(%(ids)s)",
        {"ids": list(job_ids)},
    )


def cv_texts(conn: Connection, cv_ids: Sequence[int]) -> list[CvText]:
    """Text and content hash of these CVs (a CV deleted meanwhile is absent)."""
    return _fetch(
        conn,
        CvText,
        "SELECT id, content_hash, body FROM cvs WHERE id = ANY(%(ids)s)",
        {"ids": list(cv_ids)},
    )


def unprofiled_jobs(conn: Connection, version: int, *, after_id: int, limit: int) -> list[JobText]:
    """Jobs after `after_id` (by id) without a current profile."""
    return _fetch(
        conn,
        JobText,
        "SELECT j.id, j.content_hash, j.title, j.tags, j.description FROM jobs j"
        " WHERE j.id > %(after)s AND NOT EXISTS (SELECT 1 FROM job_text_profiles p"
        "  WHERE p.job_id = j.id AND p.content_hash = j.content_hash"
        "  AND p.version = %(version)s)"
        " ORDER BY j.id LIMIT %(limit)s",
        {"after": after_id, "version": version, "limit": limit},
    )


def unprofiled_cvs(conn: Connection, version: int, *, after_id: int, limit: int) -> list[CvText]:
    """Active CVs after `after_id` (by id) without a current profile."""
    return _fetch(
        conn,
        CvText,
        "SELECT c.id, c.content_hash, c.body FROM cvs c"
        " WHERE c.is_active AND c.id > %(after)s AND NOT EXISTS ("
        "  SELECT 1 FROM cv_text_profiles p WHERE p.cv_id = c.id"
        "  AND p.content_hash = c.content_hash AND p.version = %(version)s)"
        " ORDER BY c.id LIMIT %(limit)s",
        {"after": after_id, "version": version, "limit": limit},
    )


def store_job_profiles(conn: Connection, profiles: Sequence[NewProfile], version: int) -> None:
    """Store (or replace) job profiles; a job deleted meanwhile is skipped."""
    _store(conn, profiles, version, table="job_text_profiles", key="job_id", owners="jobs")


def store_cv_profiles(conn: Connection, profiles: Sequence[NewProfile], version: int) -> None:
    """Store (or replace) CV profiles; a CV deleted meanwhile is skipped."""
    _store(conn, profiles, version, table="cv_text_profiles", key="cv_id", owners="cvs")


def _fetch(conn: Connection, row: type[Row], query: str, params: dict[str, object]) -> list[Row]:
    """Every row of `query`, each as a `row`."""
    with conn.cursor(row_factory=class_row(row)) as cur:
        cur.execute(query, params)
        return cur.fetchall()


def _copy_to_temp(cur: psycopg.Cursor[tuple[object, ...]], profiles: list[NewProfile]) -> None:
    """COPY the profiles into this session's `new_text_profiles` (emptied first)."""
    cur.execute(
        "CREATE TEMP TABLE IF NOT EXISTS new_text_profiles (id BIGINT, content_hash BYTEA,"
        " term_keys BYTEA, quote_text BYTEA, quote_starts INTEGER[], quote_ends INTEGER[],"
        " shown TEXT[])"
        # Compressed here, values would be stored compressed: a job's profile is read
        # an element at a time by every list read (migration 008).
        " WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS"
    )
    cur.execute("DELETE FROM new_text_profiles")  # an enclosing transaction's rows
    with cur.copy(
        "COPY new_text_profiles (id, content_hash, term_keys, quote_text, quote_starts,"
        " quote_ends, shown) FROM STDIN"
    ) as copy:
        for p in profiles:
            row = (p.owner_id, p.content_hash, p.term_keys, p.quote_text)
            copy.write_row((*row, list(p.quote_starts), list(p.quote_ends), list(p.shown)))


def _store(
    conn: Connection,
    profiles: Sequence[NewProfile],
    version: int,
    *,
    table: str,
    key: str,
    owners: str,
) -> None:
    if not profiles:
        return
    shown = ", shown" if key == "job_id" else ""
    # Keys in one order, so two writers storing overlapping profiles cannot deadlock.
    ordered = sorted(profiles, key=lambda p: p.owner_id)
    with conn.transaction(), conn.cursor() as cur:
        _copy_to_temp(cur, ordered)
        columns = "term_keys, quote_text, quote_starts, quote_ends" + shown
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns.split(", "))
        cur.execute(
            f"INSERT INTO {table} ({key}, content_hash, version, {columns})"
            f" SELECT p.id, p.content_hash, %(version)s, {columns} FROM new_text_profiles p"
            f" WHERE EXISTS (SELECT 1 FROM {owners} o WHERE o.id = p.id) ORDER BY p.id"
            f" ON CONFLICT ({key}) DO UPDATE SET content_hash = EXCLUDED.content_hash,"
            f" version = EXCLUDED.version, {updates}",
            {"version": version},
        )
