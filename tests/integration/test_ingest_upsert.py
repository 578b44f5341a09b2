"""The batched upsert against the real PostgreSQL: new, updated, unchanged, duplicates."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from schema.database import Connection
from schema.queries.jobs import JobRecord, UpsertCounts, content_hash, find_job, upsert_jobs

POSTED = datetime(2026, 3, 1, 9, tzinfo=UTC)


def job(source: str, source_id: str, **changes: object) -> JobRecord:
    record = JobRecord(
        source=source,
        source_id=source_id,
        title="Senior Python Engineer",
        company="Acme Robotics",
        location="Gdańsk, Poland",
        remote=True,
        salary_min=Decimal(90000),
        salary_max=Decimal(120000),
        salary_currency="USD",
        tags=("python", "backend"),
        category="Software Development",
        description="We build robots.\n\n- Python",
        url=f"https://example.org/{source}/{source_id}",
        posted_at=POSTED,
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def count_jobs(conn: Connection) -> int:
    row = conn.execute("SELECT count(*) FROM jobs").fetchone()
    assert row is not None
    return int(str(row[0]))


def test_new_unchanged_and_updated(conn: Connection) -> None:
    first = [job("remoteok", str(i), title=f"Engineer {i}") for i in range(5)]
    assert upsert_jobs(conn, first) == UpsertCounts(new=5)
    before = find_job(conn, "remoteok", "3")
    assert before is not None
    assert before.content_hash == content_hash(first[3])

    second = [*first[:3], dataclasses.replace(first[3], description="Now with Rust."), first[4]]
    second[4] = dataclasses.replace(first[4], salary_max=Decimal(130000))
    assert upsert_jobs(conn, second) == UpsertCounts(updated=2, unchanged=3)

    after = find_job(conn, "remoteok", "3")
    assert after is not None
    assert after.description == "Now with Rust."
    assert after.content_hash != before.content_hash  # marks the vector stale
    assert after.updated_at > before.updated_at
    salary_only = find_job(conn, "remoteok", "4")
    assert salary_only is not None
    assert salary_only.content_hash == content_hash(first[4])  # nothing embedded changed
    untouched = find_job(conn, "remoteok", "0")
    assert untouched is not None
    assert untouched.updated_at < after.updated_at
    assert count_jobs(conn) == 5


def test_every_embedded_field_changes_the_hash() -> None:
    base = job("remotive", "1")
    changes = {
        "title": "Other",
        "company": "Other",
        "location": "Other",
        "tags": ("other",),
        "category": "Other",
        "description": "Other",
    }
    hashes = {content_hash(dataclasses.replace(base, **{k: v})) for k, v in changes.items()}  # type: ignore[arg-type]
    assert len(hashes | {content_hash(base)}) == len(changes) + 1
    # Text moved from one field to the next, or from one tag to the next, changes it too.
    moved = dataclasses.replace(base, title=base.title + " Acme", company="Robotics")
    assert content_hash(moved) != content_hash(dataclasses.replace(base, company="Acme Robotics"))
    split = dataclasses.replace(base, tags=("python backend",))
    assert content_hash(split) != content_hash(base)


def test_the_hash_is_the_one_postgresql_computes(conn: Connection) -> None:
    records = [
        job("remoteok", "1"),
        job("remoteok", "2", category=None, tags=(), location=""),
        job("remoteok", "3", title="Ingénieur·e Données", description="Zürich\n\n- 数据"),
    ]
    upsert_jobs(conn, records)
    rows = conn.execute(
        "SELECT source_id, content_hash,"
        " jobmatch_content_hash(title, company, location, tags, category, description)"
        " FROM jobs ORDER BY source_id"
    ).fetchall()
    assert [(row[1], row[2]) for row in rows] == [
        (content_hash(record), content_hash(record)) for record in records
    ]


def test_cross_source_duplicate_collapses_and_remembers_its_source(conn: Connection) -> None:
    assert upsert_jobs(conn, [job("remoteok", "1130801")]).new == 1
    twin = job("remotive", "2091101", company="ACME Robotics Inc.", location="Poland")
    assert upsert_jobs(conn, [twin]) == UpsertCounts(duplicates=1)
    assert upsert_jobs(conn, [twin]) == UpsertCounts(duplicates=1)  # remembered, not re-added
    stored = find_job(conn, "remotive", "2091101")
    assert stored is not None
    assert (stored.source, stored.source_id) == ("remoteok", "1130801")
    assert stored.other_sources == ["remotive:2091101"]
    assert count_jobs(conn) == 1


def test_gender_markers_and_legal_forms_do_not_hide_a_duplicate(conn: Connection) -> None:
    german = job("arbeitnow", "x", title="Data Engineer (m/w/d)", company="Alpenblick AG")
    english = job("themuse", "y", title="Data Engineer", company="Alpenblick", location="")
    assert upsert_jobs(conn, [german, english]) == UpsertCounts(new=1, duplicates=1)


def test_incompatible_locations_or_same_source_stay_separate(conn: Connection) -> None:
    records = [
        job("remoteok", "1", location="Berlin"),
        job("remotive", "2", location="Lisbon"),  # same title and company, elsewhere
        job("remoteok", "3", location="Berlin"),  # same source twice: two postings
    ]
    assert upsert_jobs(conn, records) == UpsertCounts(new=3)


def test_duplicates_inside_one_batch(conn: Connection) -> None:
    records = [
        job("remoteok", "1"),
        job("remotive", "2", location=""),
        job("arbeitnow", "3", location="Poland"),
        job("remoteok", "1", title="Senior Python Engineer"),  # the same pair again
    ]
    assert upsert_jobs(conn, records) == UpsertCounts(new=1, duplicates=3)
    stored = find_job(conn, "arbeitnow", "3")
    assert stored is not None
    assert stored.other_sources == ["arbeitnow:3", "remotive:2"]


def test_empty_batch_does_nothing(conn: Connection) -> None:
    assert upsert_jobs(conn, []) == UpsertCounts()
    assert count_jobs(conn) == 0
