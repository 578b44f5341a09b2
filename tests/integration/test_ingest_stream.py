"""Streamed ingestion (parse on a thread, upsert meanwhile) and the search vector it keeps.

Real PostgreSQL; the chunks are real `ParseResult`s; a chunk source that fails part-way
stands for an invalid or truncated page arriving after good ones.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from schema.database import Connection
from schema.queries.jobs import UpsertCounts, find_job, upsert_jobs
from schema.queries.search import SearchFilters, search_jobs
from tests.integration.test_ingest_upsert import POSTED, count_jobs, job
from workers.pipelines.ingest_stream import store_stream
from workers.sources.base import ParseResult, SourceError

# ~20,000 words before the distinctive one: past the 16,383 positions a tsvector records.
LONG = " ".join(["Collaborate with product and design on our platform."] * 2_500)


def chunk(*records: object, skipped: dict[str, int] | None = None) -> ParseResult:
    return ParseResult(records=list(records), skipped=Counter(skipped or {}))  # type: ignore[arg-type]


def text_hits(conn: Connection, query: str) -> list[int]:
    hits = search_jobs(conn, query_vector=None, query_text=query, filters=SearchFilters(), limit=10)
    return [hit.job_id for hit in hits]


def test_chunks_land_in_one_transaction_with_summed_counts(conn: Connection) -> None:
    old = POSTED - timedelta(days=30)
    chunks = [
        chunk(job("remoteok", "1"), job("remoteok", "2"), skipped={"title is empty": 1}),
        chunk(job("remoteok", "3", posted_at=old), skipped={"title is empty": 2}),
        chunk(job("remoteok", "4", title="Data Engineer")),
    ]
    seen: list[int] = []
    totals = store_stream(
        conn, iter(chunks), since=POSTED - timedelta(days=2), stored=lambda t: seen.append(t.parsed)
    )
    assert totals.counts == UpsertCounts(new=3)
    assert totals.parsed == 4
    assert totals.outside_window == 1
    assert totals.skipped == Counter({"title is empty": 3})
    assert seen == [2, 3, 4]  # progress after each stored chunk
    assert count_jobs(conn) == 3


def test_a_pair_repeated_in_a_later_chunk_is_a_duplicate_and_the_last_wins(
    conn: Connection,
) -> None:
    first = job("arbeitnow", "a-1", description="First version of the text.")
    later = dataclasses.replace(first, description="Second version, mentions Kubernetes.")
    totals = store_stream(conn, iter([chunk(first, job("arbeitnow", "a-2")), chunk(later)]))
    assert totals.counts == UpsertCounts(new=2, duplicates=1)
    stored = find_job(conn, "arbeitnow", "a-1")
    assert stored is not None
    assert stored.description == later.description
    assert text_hits(conn, "kubernetes") == [stored.id]


def _failing_after_one(closed: threading.Event) -> Iterator[ParseResult]:
    try:
        yield chunk(job("remotive", "1"), job("remotive", "2"))
        raise SourceError("Remotive body is truncated JSON")
    finally:
        closed.set()


def test_a_failing_later_chunk_writes_nothing_of_the_earlier_ones(conn: Connection) -> None:
    closed = threading.Event()
    with pytest.raises(SourceError, match="truncated JSON"):
        store_stream(conn, _failing_after_one(closed))
    assert closed.is_set()
    assert count_jobs(conn) == 0


def _endless(closed: threading.Event) -> Iterator[ParseResult]:
    try:
        for n in range(10_000):
            yield chunk(job("themuse", str(n), location="Berlin"))
    finally:
        closed.set()


def test_a_failing_upsert_stops_the_parsing_thread_and_rolls_back(conn: Connection) -> None:
    conn.execute("ALTER TABLE jobs ADD CONSTRAINT no_berlin CHECK (location <> 'Berlin')")
    closed = threading.Event()
    with pytest.raises(psycopg.errors.CheckViolation):
        store_stream(conn, _endless(closed))
    assert closed.is_set()  # the generator was closed, its thread has ended
    assert not [t for t in threading.enumerate() if t.name == "ingest-parse"]
    conn.rollback()
    assert count_jobs(conn) == 0


def test_a_distinctive_term_at_the_end_of_a_long_description_is_found(conn: Connection) -> None:
    record = job("remotive", "long", description=f"{LONG}\n\nYou will own our zymurgy lab.")
    upsert_jobs(conn, [record, job("remotive", "other")])
    stored = find_job(conn, "remotive", "long")
    assert stored is not None
    assert text_hits(conn, "zymurgy") == [stored.id]


def test_a_repost_keeps_its_search_vector_and_a_text_change_replaces_it(
    conn: Connection,
) -> None:
    record = job("remoteok", "9", description="Maintain our Erlang telephony switch.")
    upsert_jobs(conn, [record])
    stored = find_job(conn, "remoteok", "9")
    assert stored is not None
    reposted = dataclasses.replace(record, posted_at=POSTED + timedelta(days=1))
    assert upsert_jobs(conn, [reposted]) == UpsertCounts(updated=1)
    after = find_job(conn, "remoteok", "9")
    assert after is not None
    assert after.posted_at == reposted.posted_at
    assert after.updated_at > stored.updated_at
    assert text_hits(conn, "erlang telephony") == [stored.id]
    assert _vector_is_current(conn, stored.id)

    changed = dataclasses.replace(reposted, description="Maintain our Elixir billing service.")
    assert upsert_jobs(conn, [changed]) == UpsertCounts(updated=1)
    assert text_hits(conn, "erlang") == []
    assert text_hits(conn, "elixir billing") == [stored.id]
    assert _vector_is_current(conn, stored.id)


def _vector_is_current(conn: Connection, job_id: int) -> bool:
    """The stored search vector equals its generating expression evaluated now."""
    row = conn.execute(
        "SELECT search_vector = setweight(to_tsvector('english'::regconfig, title), 'A')"
        " || setweight(to_tsvector('english'::regconfig,"
        "              company || ' ' || jobmatch_join_tags(tags)), 'B')"
        " || setweight(to_tsvector('english'::regconfig, description), 'C')"
        " FROM jobs WHERE id = %(id)s",
        {"id": job_id},
    ).fetchone()
    return bool(row and row[0])
