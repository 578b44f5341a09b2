"""Benchmark: the daily generation, exact batched vs per-user pgvector (HNSW).

Builds USERS users × JOBS jobs (dimension 384, clustered random unit vectors, companies,
locations, salaries, postings in the last 7 days, some preferences, applications and
down votes) in a fresh database — an embedded server in a temporary folder, or a new
database on the server of DATABASE_URL — then prints, in one run:

- end-to-end time of the exact batched path (read vectors, score, select with filters and
  the company cap, reasons, write with COPY), by stage, first run and replacing run;
- the per-user pgvector path on a sample of users, extrapolated to all (said so; its
  one-off catalog load counted once);
- recall@50 of pgvector against exact, and of exact against an independent brute-force
  reference (plain numpy sort + Python filters and cap) on a sample;
- peak RSS of each phase (each runs in its own process).

Job and CV texts are real ones from ../shared/data (reused round robin), so reasons'
evidence costs what it costs on real text; vectors are synthetic. The build also stores
the texts' profiles for reasons, as the embed step does for new texts (its time is
printed).

    .venv/bin/python bench/recommend.py [--users 10000] [--jobs 20000] [--sample 2000]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import psycopg

from bench.recommend_reference import reference_lists

DIM = 384
SKILLS = [
    "python",
    "django",
    "flask",
    "fastapi",
    "postgresql",
    "mysql",
    "redis",
    "kafka",
    "airflow",
    "spark",
    "pandas",
    "numpy",
    "pytorch",
    "tensorflow",
    "kubernetes",
    "docker",
    "terraform",
    "aws",
    "gcp",
    "azure",
    "react",
    "vue",
    "angular",
    "typescript",
    "javascript",
    "node",
    "golang",
    "rust",
    "java",
    "kotlin",
    "scala",
    "swift",
    "ios",
    "android",
    "figma",
    "sql",
    "graphql",
    "grpc",
    "linux",
    "ansible",
    "jenkins",
    "tableau",
    "excel",
    "salesforce",
    "seo",
    "marketing",
    "finance",
    "accounting",
    "recruiting",
    "sales",
    "support",
    "design",
    "nursing",
    "teaching",
    "logistics",
]
PLACES = ["Berlin", "London", "Paris", "New York", "Remote", "Amsterdam", "Lisbon", "Madrid"]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children: what the
    run cost us, whatever else runs on the machine.
    PostgreSQL's own CPU is measured apart (`_server_cpu_seconds`)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _server_cpu_seconds(url: str) -> float | None:
    """CPU seconds the whole PostgreSQL server has used so far (postmaster, its live
    processes and the backends it has reaped), or None for a server on another host."""
    psutil: Any = importlib.import_module("psutil")  # a dev dependency: optional here
    with psycopg.connect(url) as conn:
        host = conn.info.host
        if not (host.startswith("/") or host in {"localhost", "127.0.0.1", "::1"}):
            return None
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    pid = int((Path(str(row[0])) / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(pid)
    own = postmaster.cpu_times()
    total = float(own.user + own.system + own.children_user + own.children_system)
    for child in postmaster.children():
        try:
            times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += float(times.user + times.system)
    return total


def build(  # type: ignore[no-untyped-def]
    url: str, users: int, jobs: int, texts, seed: int = 7
) -> dict[str, object]:
    """Fill the database (`texts`: `real_texts()`); returns timing of the build."""
    from pgvector.psycopg import register_vector

    from schema.queries.models import activate_model, register_model
    from workers.pipelines.text_profiles import prepare_texts

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    clusters = 300
    centres = rng.normal(size=(clusters, DIM)).astype(np.float32)
    skills_of = [rng.choice(len(SKILLS), size=6, replace=False) for _ in range(clusters)]

    def vectors(count: int) -> tuple[np.ndarray, np.ndarray]:
        which = rng.integers(0, clusters, size=count)
        out = centres[which] + rng.normal(scale=0.9, size=(count, DIM)).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True), which

    with psycopg.connect(url, autocommit=True) as conn:
        register_vector(conn)
        model = register_model(conn, "bench-minilm-384", DIM)
        activate_model(conn, model.id)
        # Bulk load first, index after: an HNSW index built once is far faster than
        # 20,000 inserts into it (the product builds it on registration, when empty).
        conn.execute(f"DROP INDEX job_embeddings_hnsw_model_{model.id}")
        conn.execute(f"DROP INDEX cv_embeddings_hnsw_model_{model.id}")
        job_vectors, job_cluster = vectors(jobs)
        postings, resumes = texts
        _copy_jobs(conn, rng, job_cluster, skills_of, postings)
        _copy_vectors(conn, "job", model.id, job_vectors, b"h")
        user_vectors, user_cluster = vectors(users)
        _copy_users(conn, user_cluster, skills_of, resumes)
        _copy_vectors(conn, "cv", model.id, user_vectors, b"cv")
        _add_behaviour(conn, rng, users)
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute(
            f"CREATE INDEX job_embeddings_hnsw_model_{model.id} ON job_embeddings"
            f" USING hnsw ((embedding::vector({DIM})) vector_cosine_ops)"
            f" WHERE model_id = {model.id}"
        )
        conn.execute("ANALYZE")
        # The embed step profiles new texts for reasons and counts their words for the
        # lexical score; this build stands in for it.
        profiling = time.perf_counter()
        profiled = prepare_texts(conn)
        profile_s = time.perf_counter() - profiling
    return {
        "build_s": time.perf_counter() - started,
        "build_peak_rss_mib": _peak_rss_mib(),
        "profiled": profiled,
        "profile_s": profile_s,
    }


Posting = tuple[str, list[str], str]  # title, tags, description


def real_texts() -> tuple[list[Posting], list[str]]:
    """Real postings (parsed by the product's own sources) and distinct real CVs from
    ../shared/data, so reasons cost what they cost on real text; empty lists without it."""
    from bench.embed import DATA, FILES, cv_texts

    if not (DATA / "api-responses").is_dir():
        return [], []
    postings = []
    for source, name in FILES:
        body = json.loads((DATA / "api-responses" / name).read_text(encoding="utf-8"))
        postings += [(r.title, list(r.tags), r.description) for r in source.parse(body).records]
    return postings, cv_texts(10_000)


def _copy_jobs(conn, rng, clusters, skills_of, postings) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY jobs (source, source_id, title, company, location, remote, salary_min,"
            " salary_max, tags, description, posted_at, content_hash) FROM STDIN"
        ) as copy,
    ):
        for i, cluster in enumerate(clusters):
            skills = [SKILLS[s] for s in skills_of[cluster]]
            picked = [skills[k] for k in rng.choice(6, size=3, replace=False)]
            low = int(rng.integers(30, 150)) * 1000 if rng.random() < 0.4 else None
            title, tags, description = (
                postings[i % len(postings)]
                if postings
                else (
                    f"{picked[0].title()} engineer",
                    picked,
                    f"We use {picked[0]} and {picked[1]} every day.\n"
                    f"You know {picked[2]} and care about quality.\nBenefits: remote days.",
                )
            )
            copy.write_row(
                (
                    "bench",
                    str(i),
                    title,
                    f"Company {int(rng.integers(0, 2500))}",
                    PLACES[int(rng.integers(0, len(PLACES)))],
                    bool(rng.random() < 0.3),
                    low,
                    None if low is None else low + 20000,
                    tags,
                    description,
                    now - timedelta(days=float(rng.random()) * 6.9),
                    i.to_bytes(8, "big"),
                )
            )


def _copy_users(conn, clusters, skills_of, resumes) -> None:  # type: ignore[no-untyped-def]
    with conn.cursor() as cur:
        with cur.copy("COPY users (email) FROM STDIN") as copy:
            for i in range(len(clusters)):
                copy.write_row((f"bench{i}@example.com",))
        cur.execute("SELECT id FROM users ORDER BY id")
        user_ids = [row[0] for row in cur.fetchall()]
        with cur.copy("COPY cvs (user_id, body, content_hash) FROM STDIN") as copy:
            for n, (user_id, cluster) in enumerate(zip(user_ids, clusters, strict=True)):
                skills = [SKILLS[s] for s in skills_of[cluster]]
                body = resumes[n % len(resumes)] if resumes else _synthetic_cv(user_id, skills)
                copy.write_row((user_id, body, user_id.to_bytes(8, "big")))


def _copy_vectors(conn, kind: str, model_id: int, vectors, content_hash: bytes) -> None:  # type: ignore[no-untyped-def]
    """Vectors for every job or CV (`kind`), in id order (CVs: by user, as made)."""
    order = "id" if kind == "job" else "user_id"
    with conn.cursor() as cur:
        cur.execute(f"SELECT id FROM {kind}s ORDER BY {order}")
        ids = [row[0] for row in cur.fetchall()]
        with cur.copy(
            f"COPY {kind}_embeddings (model_id, {kind}_id, embedding, content_hash)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["integer", "bigint", "vector", "bytea"])
            for owner_id, vector in zip(ids, vectors, strict=True):
                copy.write_row((model_id, owner_id, vector, content_hash))


def _synthetic_cv(user_id: int, skills: list[str]) -> str:
    return (
        f"Engineer {user_id}\nSix years with {skills[0]}, {skills[1]} and {skills[2]}.\n"
        f"Shipped {skills[3]} services; some {skills[4]}.\nSkills: {', '.join(skills)}"
    )


def _add_behaviour(conn, rng, users: int) -> None:  # type: ignore[no-untyped-def]
    """10% of users with preferences; 3,000 applications and 3,000 down votes."""
    conn.execute(
        "INSERT INTO user_preferences (user_id, locations, remote_only, min_salary,"
        " excluded_companies)"
        " SELECT id, CASE WHEN id % 4 = 0 THEN ARRAY['Berlin', 'London'] ELSE '{}' END,"
        "  id % 4 = 1, CASE WHEN id % 4 = 2 THEN 90000 END,"
        "  CASE WHEN id % 4 = 3 THEN ARRAY['Company 1', 'Company 2'] ELSE '{}' END"
        " FROM users WHERE id % 10 = 0"
    )
    for table, extra in (("applications", ""), ("feedback", ", 'down'")):
        columns = "user_id, job_id" + (", vote" if extra else "")
        conn.execute(
            f"INSERT INTO {table} ({columns}) SELECT DISTINCT ON (u, j) u, j{extra} FROM"
            " (SELECT (SELECT min(id) FROM users) + floor(random() * %(users)s)::bigint AS u,"
            "  (SELECT min(id) FROM jobs)"
            "   + floor(random() * (SELECT count(*) FROM jobs))::bigint AS j"
            "  FROM generate_series(1, 3000)) pairs ON CONFLICT DO NOTHING",
            {"users": users},
        )


def run_exact(url: str, plain: bool = False) -> dict[str, object]:
    """The product's daily run over every user, in this (fresh) process; `plain`: the
    score before the hybrid (cosine alone, no feedback), for comparison."""
    from workers.pipelines.recommend import RecommendOptions, generate

    options = RecommendOptions(lexical_weight=0.0, feedback=False) if plain else None
    started, cpu = time.perf_counter(), _cpu_seconds()
    summary = generate(url, options=options)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": _cpu_seconds() - cpu,
        "load": os.getloadavg()[0],
        "stages": summary.seconds,
        "users": summary.users,
        "recommendations": summary.recommendations,
        "peak_rss_mib": _peak_rss_mib(),
    }


def run_pgvector(url: str, user_ids: list[int]) -> dict[str, object]:
    """The per-user HNSW baseline over `user_ids` (same filters, cap, reasons, write)."""
    from workers.pipelines.recommend import RecommendOptions, generate

    started, cpu = time.perf_counter(), _cpu_seconds()
    # One process, one user after another: the naive way (no writing thread).
    options = RecommendOptions(strategy="pgvector", write_behind=False)
    summary = generate(url, user_ids=user_ids, options=options)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": _cpu_seconds() - cpu,
        "load": os.getloadavg()[0],
        "stages": summary.seconds,
        "users": summary.users,
        "peak_rss_mib": _peak_rss_mib(),
    }


def lists(url: str, user_ids: list[int]) -> dict[int, list[int]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT user_id, job_id FROM job_recommendations WHERE user_id = ANY(%s)"
            " ORDER BY user_id, rank",
            (user_ids,),
        ).fetchall()
    out: dict[int, list[int]] = {user: [] for user in user_ids}
    for user, job in rows:
        out[user].append(job)
    return out


def recall(found: dict[int, list[int]], truth: dict[int, list[int]]) -> float:
    values = [len(set(found[u]) & set(truth[u])) / len(truth[u]) for u in truth if truth[u]]
    return float(np.mean(values)) if values else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=20_000)
    # Large enough that the run's one-off costs (e.g. loading the catalog) weigh little.
    parser.add_argument("--sample", type=int, default=2000, help="users timed with pgvector")
    parser.add_argument(
        "--pairs", type=int, default=3, help="interleaved cosine/nightly runs for the ratio"
    )
    args = parser.parse_args()

    from schema.migrate import scratch_database

    with scratch_database("jobmatch-bench-recommend-") as url:
        _run_phases(args, url)


def _phase(fn: Callable[..., dict[str, object]], url: str, *fn_args: object) -> dict[str, object]:
    """Run `fn` in a fresh process, so each phase's peak RSS is its own; adds the
    PostgreSQL server's CPU seconds during the phase."""
    before = _server_cpu_seconds(url)
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        result = pool.submit(fn, url, *fn_args).result()
    after = _server_cpu_seconds(url)
    result["server_cpu_seconds"] = None if before is None or after is None else after - before
    return result


def _run_phases(args: argparse.Namespace, url: str) -> None:
    postings, resumes = real_texts()
    texts = (
        f"texts of {len(postings)} real postings and {len(resumes)} real CVs, reused"
        if postings and resumes
        else "short synthetic texts (../shared/data is absent)"
    )
    print(f"building {args.users:,} users × {args.jobs:,} jobs (dim {DIM}), {texts} …")
    built = _phase(build, url, args.users, args.jobs, (postings, resumes))
    print(
        f"  built in {built['build_s']:.1f} s, of which {built['profile_s']:.1f} s profiling "
        f"{built['profiled']:,} texts for reasons and the lexical score (the embed step's "
        "share, once per text)",
        flush=True,
    )
    plain = _phase(run_exact, url, True)
    first = _phase(run_exact, url)
    second = _phase(run_exact, url)
    with psycopg.connect(url) as conn:
        plain_users = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM user_preferences)"
                " ORDER BY id"
            ).fetchall()
        ]
    rng = np.random.default_rng(1)
    sample = [int(u) for u in rng.choice(plain_users, args.sample, replace=False)]
    exact_lists = lists(url, sample)
    reference = reference_lists(url, sample[:100])
    baseline = _phase(run_pgvector, url, sample)
    pg_lists = lists(url, sample)
    _report(
        first, second, baseline, exact_lists=exact_lists, reference=reference, pg_lists=pg_lists
    )
    print(
        f"cosine alone, no feedback (the score before the hybrid): {plain['seconds']:.1f} s; "
        f"the nightly score (cosine + lexical, feedback) takes "
        f"{_ratio(second, plain, 'seconds'):.2f}× that in wall time, "
        f"{_ratio(second, plain, 'cpu_seconds'):.2f}× in client CPU"
    )
    _interleaved_ratio(url, args.pairs)


def _interleaved_ratio(url: str, pairs: int) -> None:
    """The nightly/cosine ratio again over `pairs` back-to-back pairs of replacing runs,
    the median of each: one pair alone swings with whatever else the box is doing."""
    walls, cpus = [], []
    for _ in range(pairs):
        plain, nightly = _phase(run_exact, url, True), _phase(run_exact, url)
        walls.append(_ratio(nightly, plain, "seconds"))
        cpus.append(_ratio(nightly, plain, "cpu_seconds"))
        print(
            f"  pair: cosine {plain['seconds']:.1f} s ({_stages(plain)}), nightly "
            f"{nightly['seconds']:.1f} s ({_stages(nightly)}): {walls[-1]:.2f}× wall, "
            f"{cpus[-1]:.2f}× client CPU (load {nightly['load']:.1f})",
            flush=True,
        )
    if walls:
        print(
            f"nightly / cosine over {pairs} interleaved pairs, median: "
            f"{float(np.median(walls)):.2f}× wall, {float(np.median(cpus)):.2f}× client CPU"
        )


def _stages(run: dict[str, object]) -> str:
    """Where a run's seconds went, so a ratio says which stage the lexical half costs in."""
    stages: dict[str, float] = run["stages"]  # type: ignore[assignment]
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in stages.items())


def _ratio(run: dict[str, object], base: dict[str, object], key: str) -> float:
    """A ratio of two phases' figures. The CPU ratio is the one to trust on a loaded box:
    other work there stretches wall time far more than the process's own CPU time."""
    return float(str(run[key])) / float(str(base[key]))


def _seconds(value: object) -> str:
    return "n/a (remote server)" if value is None else f"{value:.1f} s"


def _report(first, second, baseline, *, exact_lists, reference, pg_lists) -> None:  # type: ignore[no-untyped-def]
    # Loading the catalog (with its jobs' term keys for reasons) is paid once per run,
    # not per user: counted once.
    once = baseline["stages"].get("load", 0.0)
    per_user_pg = (baseline["seconds"] - once) / baseline["users"]
    extrapolated = once + per_user_pg * first["users"]
    exact_s = second["seconds"]
    print(f"machine: {os.cpu_count()} cores, shared with other work (timings under contention)")
    for label, run in (("first run (empty table)", first), ("replacing run", second)):
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in run["stages"].items())
        print(
            f"exact batched, {label}: {run['seconds']:.1f} s end to end for "
            f"{run['users']:,} users, {run['recommendations']:,} recommendations ({stages}); "
            f"peak RSS {run['peak_rss_mib']:.0f} MiB; client CPU {run['cpu_seconds']:.1f} s, "
            f"server CPU {_seconds(run['server_cpu_seconds'])}; "
            f"load average {run['load']:.1f}"
        )
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in baseline["stages"].items())
    print(
        f"pgvector per user (HNSW): {baseline['seconds']:.1f} s for a sample of "
        f"{baseline['users']} users ({stages}); {per_user_pg * 1000:.1f} ms/user after "
        f"loading, extrapolated to {first['users']:,} users: {extrapolated:.0f} s; "
        f"peak RSS {baseline['peak_rss_mib']:.0f} MiB; client CPU {baseline['cpu_seconds']:.1f} s, "
        f"server CPU {_seconds(baseline['server_cpu_seconds'])}; "
        f"load average {baseline['load']:.1f}"
    )
    print(f"speed-up exact batched vs per-user pgvector: {extrapolated / exact_s:.1f}×")
    print(
        f"recall@50 exact vs brute-force reference ({len(reference)} users): "
        f"{recall(exact_lists, reference):.4f}"
    )
    print(
        f"recall@50 pgvector (cosine only) vs exact ({len(pg_lists)} users): "
        f"{recall(pg_lists, exact_lists):.4f}"
    )
    print("targets: exact ≤ 30 s, ≥ 10× pgvector, exact recall 1.0, peak RSS ≤ 4096 MiB")


if __name__ == "__main__":
    main()
