"""Parse + upsert of 10,000 jobs built from the real API responses: batched vs row by row.

    .venv/bin/python bench/ingest.py [--jobs 10000]

Each step prints its wall time and jobs/s, and the CPU seconds behind it: this process's
(every thread), and PostgreSQL's (through psutil, a dev dependency): with the embedded
server the bench starts, every process of that server (the backend, parallel workers,
autovacuum, WAL writer...), so work handed to another server process is still counted;
with DATABASE_URL, the connection's backend only. On a shared machine the wall time moves
with other people's load; the CPU seconds show the work itself. Each step starts after a
CHECKPOINT, so none pays for pages an earlier step left behind.

"parse + upsert pipelined" is what `jobmatch scrape/import` do (workers/pipelines/
ingest_stream.py): a thread parses chunk k+1 while the server stores chunk k, in one
transaction, and a second connection merges the search index's pending entries after
each chunk (search_index_merge.py). The parse and the last merge are inside its timed
block, and so is the merging backend's CPU.

Inserting new jobs is bound by PostgreSQL computing `jobs.search_vector` (to_tsvector of
title, company, tags and the whole description, plus the GIN index entries): the line
"of which search_vector" recomputes that expression over the stored jobs, on one
process, to show its share (docs/performance.md has the figures). The upsert computes
the vectors of each batch with a parallel query (the backend and its parallel workers),
so the server's CPU is spread over more than one core: "postgres" counts every process.
Both ways pay for the vectors; the daily case, where most jobs come back
unchanged (or reposted with the same text: "re-dated", where the vector is kept), is
where batching wins most.

Uses a scratch database on DATABASE_URL's server, or an embedded server in a temporary
folder, and drops it afterwards. Needs ../shared/data/api-responses (the real bodies).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import importlib
import itertools
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

from schema.database import (
    Connection,
    connect,
)
from schema.migrate import scratch_database
from schema.queries.jobs import JobRecord, job_values, upsert_jobs
from workers.pipelines.ingest_stream import CHUNK_JOBS, store_stream
from workers.pipelines.search_index_merge import pending_merger
from workers.sources import Adzuna, Arbeitnow, RemoteOK, Remotive, TheMuse
from workers.sources.base import JobSource

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "api-responses"
# (source, file, where the items are, the id field)
FILES: list[tuple[JobSource, str, str | None, str]] = [
    (RemoteOK(), "remoteok-2026-03-17.json", None, "id"),
    (Remotive(), "remotive-2026-07-18.json", "jobs", "id"),
    (Arbeitnow(), "arbeitnow-2026-05.json", "data", "slug"),
    (Adzuna("", "", country="us"), "adzuna-us-2025-07.json", "results", "id"),
    (TheMuse(), "themuse-results-mixed.json", None, "id"),
]

NAIVE_UPSERT = """
INSERT INTO jobs (source, source_id, title, company, location, remote, salary_min, salary_max,
                  salary_currency, tags, category, description, url, posted_at, content_hash)
VALUES (%(source)s, %(source_id)s, %(title)s, %(company)s, %(location)s, %(remote)s,
        %(salary_min)s, %(salary_max)s, %(salary_currency)s, %(tags)s, %(category)s,
        %(description)s, %(url)s, %(posted_at)s, %(content_hash)s)
ON CONFLICT (source, source_id) DO UPDATE SET
    title = EXCLUDED.title, company = EXCLUDED.company, location = EXCLUDED.location,
    remote = EXCLUDED.remote, salary_min = EXCLUDED.salary_min,
    salary_max = EXCLUDED.salary_max, salary_currency = EXCLUDED.salary_currency,
    tags = EXCLUDED.tags, category = EXCLUDED.category, description = EXCLUDED.description,
    url = EXCLUDED.url, posted_at = EXCLUDED.posted_at, content_hash = EXCLUDED.content_hash,
    updated_at = now()
WHERE jobs.content_hash IS DISTINCT FROM EXCLUDED.content_hash
"""


def build_bodies(total: int) -> list[tuple[JobSource, Any]]:
    """Bodies in each API's own shape holding `total` items, real ones with varied ids."""
    pools = []
    for source, name, key, id_field in FILES:
        body = json.loads((DATA / name).read_text(encoding="utf-8"))
        items = [i for i in (body if key is None else body[key]) if "legal" not in i]
        pools.append((source, body, key, id_field, items))
    picked: dict[int, list[Any]] = {n: [] for n in range(len(pools))}
    cycle = itertools.cycle([(n, item) for n, pool in enumerate(pools) for item in pool[4]])
    for copy_no in range(total):
        n, item = next(cycle)
        varied = dict(item)
        varied[pools[n][3]] = f"{item[pools[n][3]]}-{copy_no}"
        picked[n].append(varied)
    bodies: list[tuple[JobSource, Any]] = []
    for n, (source, body, key, _, _) in enumerate(pools):
        if key is None:
            bodies.append((source, picked[n]))
        else:
            bodies.append((source, {**copy.copy(body), key: picked[n]}))
    return bodies


def _redated(record: JobRecord) -> JobRecord:
    return dataclasses.replace(record, posted_at=record.posted_at + timedelta(minutes=1))


def parse(bodies: list[tuple[JobSource, Any]]) -> list[JobRecord]:
    records: list[JobRecord] = []
    for source, body in bodies:
        records.extend(source.parse(body).records)
    return records


@dataclass
class Timing:
    """Wall seconds, and CPU seconds of this process and of PostgreSQL (see `_server`)."""

    wall: float
    client_cpu: float
    server_cpu: float | None  # None without psutil (a dev dependency)


@contextmanager
def timed(conn: Connection, into: list[Timing]) -> Iterator[None]:
    """Time the block; CPU times show the work apart from the shared machine's contention."""
    backend = _server(conn)
    _checkpoint(conn)
    _settle(backend)
    server0 = _cpu(backend)
    wall0, client0 = time.perf_counter(), time.process_time()
    yield
    wall, client = time.perf_counter() - wall0, time.process_time() - client0
    _settle(backend)  # a helper connection closed inside the block is counted once reaped
    server1 = _cpu(backend)
    server = None if server0 is None or server1 is None else server1 - server0
    into.append(Timing(wall, client, server))


def _checkpoint(conn: Connection) -> None:
    """Write out what earlier steps left behind, before the block. PostgreSQL requests a
    checkpoint once the WAL since the last passes about half of max_wal_size; without
    this, one requested by the earlier steps' WAL would run inside a later timed step
    and charge it their pages."""
    try:
        conn.execute("CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        conn.rollback()  # a role without pg_checkpoint: measured without it


@dataclass(frozen=True)
class _Server:
    """The PostgreSQL processes a step's CPU is read from."""

    process: Any  # psutil.Process (psutil is imported only if installed)
    whole: bool  # the postmaster: count its children too
    own_pid: int = 0  # the backend of the measured connection


def _server(conn: Connection) -> _Server | None:
    """The postmaster of the bench's own embedded server (every process of it is this
    bench's), else the backend serving `conn`; None without psutil or for a remote host."""
    try:
        psutil = importlib.import_module("psutil")  # a dev dependency: optional here
    except ImportError:
        return None
    host = conn.info.host
    if not (host.startswith("/") or host in {"localhost", "127.0.0.1", "::1"}):
        return None  # a server on another host: its pid means nothing here
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    try:
        backend = psutil.Process(int(str(row[0]))) if row else None
    except psutil.Error:
        return None
    if backend is None or os.environ.get("DATABASE_URL"):
        return None if backend is None else _Server(backend, whole=False)
    return _Server(backend.parent(), whole=True, own_pid=backend.pid)


# Backends measured so far: each must be reaped before the next step's first reading.
_MEASURED: set[int] = set()


def _settle(server: _Server | None) -> None:
    """Wait (up to 10 s) until the backends of earlier steps' connections are reaped.

    One still exiting at the start would be counted when the postmaster reaps it (in its
    children_* times) but not before, charging its whole CPU to this step.
    """
    if server is None or not server.whole:
        return
    psutil = importlib.import_module("psutil")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not any(psutil.pid_exists(pid) for pid in _MEASURED - {server.own_pid}):
            break
        time.sleep(0.05)
    _MEASURED.add(server.own_pid)


def _cpu(server: _Server | None) -> float | None:
    """User + system seconds; for the postmaster also those of its live children and (in
    its children_* times) of the ones it has reaped, such as parallel workers."""
    if server is None:
        return None
    times = server.process.cpu_times()
    total = float(times.user + times.system)
    if server.whole:
        total += times.children_user + times.children_system
        for child in server.process.children():
            try:
                child_times = child.cpu_times()
            except Exception:  # psutil.NoSuchProcess: gone since it was listed
                continue
            total += child_times.user + child_times.system
    return total


def timed_batched(url: str, records: list[JobRecord]) -> Timing:
    into: list[Timing] = []
    with connect(url) as conn, timed(conn, into):
        counts = upsert_jobs(conn, records)
        conn.commit()
    print(f"  batched: {counts}")
    return into[0]


def timed_naive(url: str, records: list[JobRecord]) -> Timing:
    into: list[Timing] = []
    with connect(url) as conn, timed(conn, into):
        for record in records:
            conn.execute(NAIVE_UPSERT, job_values(record))
        conn.commit()
    return into[0]


def timed_pipelined(url: str, bodies: list[tuple[JobSource, Any]]) -> Timing:
    """Parse and upsert overlapped: a thread parses chunk k+1 while the server stores chunk k.

    The parse and the commit are inside the timed block (client CPU counts both threads),
    so nothing is left out of the measured window.
    """
    into: list[Timing] = []
    with connect(url) as conn, timed(conn, into), pending_merger(url) as merger:
        chunks = (
            chunk for source, body in bodies for chunk in source.parse_chunks(body, CHUNK_JOBS)
        )
        if merger is not None:
            _MEASURED.add(merger.backend_pid)
        totals = store_stream(conn, chunks, merger=merger)
        # The connection opened a transaction before the stream's (registering pgvector's
        # types), so the stream's is a savepoint: commit here, inside the timed block and
        # before the last merge, as `jobmatch scrape/import` do.
        conn.commit()
    print(f"  pipelined: {totals.counts}")
    return into[0]


def timed_search_vectors(url: str) -> Timing:
    """What PostgreSQL spends on `jobs.search_vector` alone: the same expression, recomputed."""
    into: list[Timing] = []
    with connect(url) as conn, timed(conn, into):
        # One process does it all, as the INSERT does (no parallel plan for DML).
        conn.execute("SET max_parallel_workers_per_gather = 0")
        conn.execute(
            "SELECT sum(length(jobmatch_search_vector(title, company, tags, description)))"
            " FROM jobs"
        ).fetchone()
    return into[0]


def _locale(url: str) -> str:
    """The provider and locale of the database (to_tsvector's cost depends on them)."""
    with connect(url) as conn:
        # As JSON: the column names differ between server versions (datlocale is 17+).
        row = conn.execute(
            "SELECT to_jsonb(d) FROM pg_database d WHERE datname = current_database()"
        ).fetchone()
    if not row or not isinstance(row[0], dict):
        return "?"
    info = row[0]
    provider = {"b": "builtin", "i": "icu"}.get(info.get("datlocprovider", "c"), "libc")
    return f"{provider} {info.get('datlocale') or info.get('daticulocale') or info['datctype']}"


def report(n: int, rows: list[tuple[str, Timing]]) -> None:
    """One line per step: wall time and jobs/s, then the CPU seconds behind it."""
    print(f"{'':<52} {'wall':>8} {'jobs/s':>8}   {'CPU: client':>11} {'postgres':>9}")
    for label, t in rows:
        server = "-" if t.server_cpu is None else f"{t.server_cpu:8.2f}s"
        print(f"{label:<52} {t.wall:7.2f}s {n / t.wall:8,.0f}   {t.client_cpu:10.2f}s {server:>9}")


def plus(a: Timing, b: Timing) -> Timing:
    server = None if a.server_cpu is None or b.server_cpu is None else a.server_cpu + b.server_cpu
    return Timing(a.wall + b.wall, a.client_cpu + b.client_cpu, server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"real API responses not found at {DATA}", file=sys.stderr)
        return 2
    bodies = build_bodies(args.jobs)
    load_before = os.getloadavg()[0]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    records = parse(bodies)
    parse_t = Timing(time.perf_counter() - wall0, time.process_time() - cpu0, 0.0)
    n = len(records)
    print(f"{args.jobs} items built from the real responses, {n} parsed as valid jobs")
    with scratch_database("jobmatch-bench-") as url:
        print(f"database locale: {_locale(url)}")
        batched = timed_batched(url, records)
        again = timed_batched(url, records)  # every job unchanged now
        # A repost: the same text under a new date; the search vector is not recomputed.
        redated = timed_batched(url, [_redated(r) for r in records])
        tsv = timed_search_vectors(url)
        with connect(url) as conn:
            conn.execute("TRUNCATE jobs CASCADE")
            conn.commit()
        naive = timed_naive(url, records)
        naive_again = timed_naive(url, records)
        with connect(url) as conn:
            conn.execute("TRUNCATE jobs CASCADE")
            conn.commit()
        piped = timed_pipelined(url, bodies)
        piped_again = timed_pipelined(url, bodies)
    report(
        n,
        [
            ("parse (JSON item -> clean JobRecord)", parse_t),
            ("upsert batched (COPY + set-based SQL), new", batched),
            ("  of which search_vector (to_tsvector), recomputed", tsv),
            ("upsert batched, all unchanged", again),
            ("upsert batched, all re-dated (same text)", redated),
            ("upsert row by row (INSERT ... ON CONFLICT each), new", naive),
            ("upsert row by row, all unchanged", naive_again),
            ("parse + upsert batched", plus(parse_t, batched)),
            ("parse + upsert row by row", plus(parse_t, naive)),
            ("parse + upsert pipelined (parse thread || upsert), new", piped),
            ("parse + upsert pipelined, all unchanged", piped_again),
        ],
    )
    print(f"upsert speed-up, batched vs row by row, new jobs: {naive.wall / batched.wall:.1f}x")
    print(
        f"upsert speed-up, batched vs row by row, unchanged: {naive_again.wall / again.wall:.1f}x"
    )
    total_b, total_n = plus(parse_t, batched), plus(parse_t, naive)
    print(f"parse + upsert speed-up: {total_n.wall / total_b.wall:.2f}x")
    print(f"parse + upsert pipelined vs row by row: {total_n.wall / piped.wall:.2f}x")
    if piped.server_cpu is not None:
        # The parse thread, the backend and its parallel workers share the cores: the wall
        # time cannot beat their CPU seconds spread evenly over two idle cores.
        cpu = piped.client_cpu + piped.server_cpu
        print(
            f"parse + upsert pipelined, CPU seconds: client {piped.client_cpu:.2f}s,"
            f" postgres {piped.server_cpu:.2f}s; spread evenly over two idle cores that"
            f" allows {n / (cpu / 2):,.0f} jobs/s"
        )
    if total_b.server_cpu is not None:
        cpu = total_b.client_cpu + total_b.server_cpu
        print(
            f"parse + upsert batched, CPU seconds (client + postgres): {cpu:.2f}s,"
            f" {n / cpu:,.0f} jobs per CPU-second"
        )
    print(
        f"load average (2 cores shared): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
