"""Search vectors since migration 007: computed by a parallel query in the upsert, by a
trigger for every other writer; the same lexemes either way."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from schema.database import Connection
from schema.queries.jobs import find_job, upsert_jobs
from tests.integration.test_ingest_upsert import count_jobs, job

# The expression of migration 001's generated column, written out: the function that
# replaced it must keep giving the same vectors.
_ORIGINAL = (
    "setweight(to_tsvector('english'::regconfig, title), 'A')"
    " || setweight(to_tsvector('english'::regconfig, company || ' ' || jobmatch_join_tags(tags)),"
    " 'B') || setweight(to_tsvector('english'::regconfig, description), 'C')"
)


def _current(conn: Connection) -> list[bool]:
    """Per job (by id): its stored vector equals the original expression evaluated now."""
    rows = conn.execute(
        f"SELECT search_vector IS NOT NULL AND search_vector = {_ORIGINAL} FROM jobs ORDER BY id"
    ).fetchall()
    return [bool(row[0]) for row in rows]


def test_the_upsert_stores_the_same_vectors_the_generated_column_did(conn: Connection) -> None:
    records = [
        job("remotive", str(n), title=f"Engineer {n}", description=f"Build things, part {n}.")
        for n in range(300)
    ]
    upsert_jobs(conn, records)
    changed = [dataclasses.replace(r, description=r.description + " Now in Go.") for r in records]
    upsert_jobs(conn, changed[:100])
    assert _current(conn) == [True] * 300


def test_the_vectors_are_computed_by_parallel_workers(conn: Connection) -> None:
    """Counted by the server's statistics (PostgreSQL 18 and later)."""
    if not _has_column(conn, "pg_stat_database", "parallel_workers_launched"):
        pytest.skip("the server does not count parallel workers (PostgreSQL < 18)")
    if _setting(conn, "max_parallel_workers_per_gather") == "0":
        pytest.skip("the server allows no parallel workers")
    before = _workers_launched(conn)
    upsert_jobs(conn, [job("remotive", str(n), title=f"Engineer {n}") for n in range(50)])
    assert _workers_launched(conn) > before


def test_the_planner_settings_and_no_stage_outlive_an_upsert(conn: Connection) -> None:
    before = conn.execute("SHOW parallel_setup_cost").fetchone()
    with conn.transaction():
        upsert_jobs(conn, [job("remotive", str(n)) for n in range(3)])
        assert conn.execute("SHOW parallel_setup_cost").fetchone() == before
    assert _stage_tables(conn) == []


def test_a_failed_upsert_leaves_no_stage_and_no_jobs(conn: Connection) -> None:
    conn.execute("ALTER TABLE jobs ADD CONSTRAINT no_berlin CHECK (location <> 'Berlin')")
    with pytest.raises(psycopg.errors.CheckViolation):
        upsert_jobs(conn, [job("remotive", "1"), job("remotive", "2", location="Berlin")])
    assert count_jobs(conn) == 0
    assert _stage_tables(conn) == []


def test_other_writers_get_their_vectors_from_the_trigger(conn: Connection) -> None:
    conn.execute(
        "INSERT INTO jobs (source, source_id, title, company, description, posted_at,"
        " content_hash) VALUES ('demo', '1', 'Rust developer', 'Ferrous', 'Write Rust.',"
        " now(), '\\x00')"
    )
    conn.execute("UPDATE jobs SET description = 'Write Haskell.'")
    conn.execute("UPDATE jobs SET search_vector = NULL")
    conn.execute("UPDATE jobs SET url = 'https://example.org/1'")
    assert _current(conn) == [True]
    row = conn.execute(
        "SELECT search_vector @@ to_tsquery('english', 'haskell') FROM jobs"
    ).fetchone()
    assert row == (True,)


def test_a_repost_does_not_recompute_its_vector(conn: Connection) -> None:
    """A stale vector left alone proves the trigger did not run for a date-only change."""
    record = job("remoteok", "9")
    upsert_jobs(conn, [record])
    conn.execute("ALTER TABLE jobs DISABLE TRIGGER jobs_search_vector")
    conn.execute("UPDATE jobs SET search_vector = to_tsvector('simple', 'marker')")
    conn.execute("ALTER TABLE jobs ENABLE TRIGGER jobs_search_vector")
    upsert_jobs(conn, [dataclasses.replace(record, posted_at=record.posted_at.replace(day=2))])
    stored = find_job(conn, "remoteok", "9")
    assert stored is not None
    assert stored.posted_at.day == 2
    row = conn.execute("SELECT search_vector::text FROM jobs").fetchone()
    assert row == ("'marker':1",)


def test_a_new_embedded_cluster_has_the_builtin_locale_and_larger_buffers(tmp_path: Path) -> None:
    # In a process of its own, so the server stops when it exits.
    script = (
        "import pathlib, sys, psycopg\n"
        "from schema.database import Connection, embedded_database_url\n"
        "url = embedded_database_url(pathlib.Path(sys.argv[1]))\n"
        "with psycopg.connect(url) as admin:\n"
        "    print(admin.execute(\"SELECT string_agg(datname || ' ' || datlocprovider::text || ' '"
        " || coalesce(datlocale, ''), ',' ORDER BY datname) FROM pg_database\").fetchone()[0])\n"
        "    print(admin.execute('SHOW shared_buffers').fetchone()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "pg")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        *["postgres", "b", "C.UTF-8,template0", "b", "C.UTF-8,template1", "b", "C.UTF-8"],
        "512MB",
    ]


def _has_column(conn: Connection, table: str, column: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_name = %(table)s AND column_name = %(column)s",
        {"table": table, "column": column},
    ).fetchone()
    return bool(row and row[0])


def _setting(conn: Connection, name: str) -> str:
    row = conn.execute("SELECT current_setting(%(name)s)", {"name": name}).fetchone()
    return str(row[0]) if row else ""


def _workers_launched(conn: Connection) -> int:
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.execute("SELECT pg_stat_clear_snapshot()")
    row = conn.execute(
        "SELECT parallel_workers_launched FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()
    return int(str(row[0])) if row else 0


def _stage_tables(conn: Connection) -> list[str]:
    rows = conn.execute("SELECT relname FROM pg_class WHERE relname LIKE 'jobs\\_stage%'")
    return [str(row[0]) for row in rows.fetchall()]
