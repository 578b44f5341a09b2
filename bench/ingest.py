"""Parse + upsert of 10,000 jobs built from the real API responses: batched vs row by row.

    .venv/bin/python bench/ingest.py [--jobs 10000]

Inserting new jobs is bound by PostgreSQL computing `jobs.search_vector` (to_tsvector of
every description, about 1 ms per job here), which both ways pay; the daily case, where
most jobs come back unchanged, is where batching wins most.

Uses a scratch database on DATABASE_URL's server, or an embedded server in a temporary
folder, and drops it afterwards. Needs ../shared/data/api-responses (the real bodies).
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schema.database import connect, embedded_database_url
from schema.migrate import migrate
from schema.queries.jobs import JobRecord, job_values, upsert_jobs
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


def parse(bodies: list[tuple[JobSource, Any]]) -> list[JobRecord]:
    records: list[JobRecord] = []
    for source, body in bodies:
        records.extend(source.parse(body).records)
    return records


@contextmanager
def scratch_database() -> Iterator[str]:
    """A migrated, empty database that is dropped afterwards."""
    with tempfile.TemporaryDirectory(prefix="jobmatch-bench-") as tmp:
        server = os.environ.get("DATABASE_URL") or embedded_database_url(Path(tmp) / "pg")
        name = f"jobmatch_bench_{os.getpid()}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        params = conninfo_to_dict(server)
        params["dbname"] = name
        url = make_conninfo("", **params)
        try:
            migrate(url)
            yield url
        finally:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def timed_batched(url: str, records: list[JobRecord]) -> float:
    with connect(url) as conn:
        started = time.perf_counter()
        counts = upsert_jobs(conn, records)
        conn.commit()
        elapsed = time.perf_counter() - started
    print(f"  batched: {counts}")
    return elapsed


def timed_naive(url: str, records: list[JobRecord]) -> float:
    with connect(url) as conn:
        started = time.perf_counter()
        for record in records:
            conn.execute(NAIVE_UPSERT, job_values(record))
        conn.commit()
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"real API responses not found at {DATA}", file=sys.stderr)
        return 2
    bodies = build_bodies(args.jobs)
    started = time.perf_counter()
    records = parse(bodies)
    parse_s = time.perf_counter() - started
    n = len(records)
    print(f"{args.jobs} items built from the real responses, {n} parsed as valid jobs")
    with scratch_database() as url:
        batched_s = timed_batched(url, records)
        again_s = timed_batched(url, records)  # every job unchanged now
        with connect(url) as conn:
            conn.execute("TRUNCATE jobs CASCADE")
            conn.commit()
        naive_s = timed_naive(url, records)
        naive_again_s = timed_naive(url, records)
    rows = [
        ("parse (JSON item -> clean JobRecord)", parse_s),
        ("upsert batched (COPY + set-based SQL), new", batched_s),
        ("upsert batched, all unchanged", again_s),
        ("upsert row by row (INSERT ... ON CONFLICT each), new", naive_s),
        ("upsert row by row, all unchanged", naive_again_s),
        ("parse + upsert batched", parse_s + batched_s),
        ("parse + upsert row by row", parse_s + naive_s),
    ]
    for label, seconds in rows:
        print(f"{label:<50} {seconds:8.2f} s  {n / seconds:10,.0f} jobs/s")
    print(f"upsert speed-up, batched vs row by row, new jobs: {naive_s / batched_s:.1f}x")
    print(f"upsert speed-up, batched vs row by row, unchanged: {naive_again_s / again_s:.1f}x")
    print(f"parse + upsert speed-up: {(parse_s + naive_s) / (parse_s + batched_s):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
