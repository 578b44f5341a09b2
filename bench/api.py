"""Load on the API: `GET /jobs/recommendations` (50 items) beside `GET /health`; then
the web app's recommendations page against the JSON endpoint.

Seeds a fresh database (DATABASE_URL's server, else an embedded one in a temporary
folder) with 2,000 jobs (descriptions of a real posting's median length), their vectors,
one user with a CV and a stored 50-item list, starts `uvicorn` in a separate process on
127.0.0.1, and drives both endpoints at once for `--duration` seconds (wrk when
installed, else httpx async clients). Prints requests/s, p50, p99 and errors for each,
then compares the stored-list read with the naive way — a pgvector nearest-neighbour
query per request — measured in the same run. Last, one client at a time asks for the
recommendations page (`GET /`, 10 jobs, signed in by a session cookie) and the JSON
endpoint (50 jobs, and 10), and each one's server CPU time per request (all uvicorn
processes, from psutil) and median latency are printed, with the page's ratio to each.

With `--rate N` (repeatable), each of the JSON list, the web list page and `/health` is
then offered alone at a fixed N requests/s, open loop (bench/rate.py: sent on schedule
whatever the answers, latency counted from each request's due time), and its achieved
rate, p50, p90, p99, max and errors are printed: latency below saturation, beside the
saturated figures above, where p99 is mostly the queue of a saturated 2-core machine.

    .venv/bin/python bench/api.py [--duration 30] [--clients 32] [--workers 2]
        [--rate 100 --rate 300] [--rate-duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.page import page_vs_json, print_page_figures  # noqa: E402
from bench.rate import RateFigures, offer  # noqa: E402
from embeddings.evidence import EvidenceFinder, job_key_rows, term_keys  # noqa: E402
from embeddings.reasons import PROFILE_VERSION  # noqa: E402
from schema.database import connect  # noqa: E402
from schema.migrate import scratch_database  # noqa: E402
from schema.queries import text_profiles as tp  # noqa: E402
from schema.queries.cvs import replace_active_cv  # noqa: E402
from schema.queries.list_pages import recommended_page_json  # noqa: E402
from schema.queries.list_writes import NewLists, replace_lists  # noqa: E402
from schema.queries.models import activate_model, active_model, register_model  # noqa: E402
from schema.queries.users import create_user, issue_token  # noqa: E402
from schema.queries.web_sessions import open_session  # noqa: E402
from workers.pipelines.text_profiles import profile_pending  # noqa: E402

JOBS = 2000
DIM = 384


def seed(url: str) -> tuple[str, int, str]:
    """Jobs with vectors, one user with a CV and a fresh 50-item list; (token, user id,
    web session id)."""
    rng = np.random.default_rng(7)
    conn = connect(url)
    conn.autocommit = True
    model_id, ids = seed_jobs(conn, rng)
    user = create_user(conn, "bench@example.com", "Bench")
    assert user is not None
    token = issue_token(conn, user.id)
    cv = replace_active_cv(conn, user.id, "Python engineer: skill1 skill2 skill3, PostgreSQL")
    job_ids = rng.choice(ids, 50, replace=False).tolist()
    new = _list_with_reasons(conn, user.id, cv.named_cv_id, cv.id, job_ids)
    now = datetime.now(UTC)
    replace_lists(
        conn,
        [cv.named_cv_id],
        new,
        model_id=model_id,
        generated_at=now,
        expires_at=now + timedelta(days=3),
    )
    session = open_session(conn, user.id, timedelta(days=1))
    conn.execute("ANALYZE")
    conn.close()
    return token, user.id, session


def _list_with_reasons(
    conn: psycopg.Connection[tuple[object, ...]],
    user_id: int,
    named_cv_id: int,
    cv_id: int,
    job_ids: list[int],
) -> NewLists:
    """The list as generation stores it: profiles of the texts, evidence of each pick."""
    profile_pending(conn)
    model = active_model(conn)
    assert model is not None
    every_job = datetime(2000, 1, 1, tzinfo=UTC)
    stored = {
        row.owner_id: row.term_keys
        for row in tp.catalog_job_keys(conn, model.id, every_job, PROFILE_VERSION)
    }
    finder = EvidenceFinder(job_key_rows([stored[job_id] for job_id in job_ids]))
    (cv_keys,) = tp.cv_keys(conn, [cv_id], PROFILE_VERSION)
    evidence = finder.find(
        [term_keys(cv_keys.term_keys)],
        np.zeros(len(job_ids), dtype=np.int64),
        np.arange(len(job_ids)),
    )
    return NewLists(
        user_ids=[user_id],
        named_cv_ids=[named_cv_id],
        cv_ids=[cv_id],
        counts=np.array([len(job_ids)]),
        job_ids=np.array(job_ids, dtype=np.int64),
        scores=np.array([0.9 - rank / 100 for rank in range(len(job_ids))], dtype=np.float32),
        evidence=evidence,
        fits=["remote"] * len(job_ids),
    )


def seed_jobs(
    conn: psycopg.Connection[tuple[object, ...]], rng: np.random.Generator
) -> tuple[int, list[int]]:
    """`JOBS` jobs and a random unit vector for each under an active model; (model id, ids)."""
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY jobs (source, source_id, title, company, location, remote, description,"
            " tags, posted_at, content_hash) FROM STDIN"
        ) as copy,
    ):
        for n in range(JOBS):
            # ~4,000 characters, a real posting's median length: stored out of line, as
            # real descriptions are (short ones would stay in the row and hide that cost).
            words = " ".join(f"skill{int(w)}" for w in rng.integers(0, 500, 450))
            copy.write_row(
                (
                    "bench",
                    f"b{n}",
                    f"Engineer {n}",
                    f"Company {n % 150}",
                    "Berlin" if n % 3 else "Remote",
                    n % 3 == 0,
                    f"Role {n}. {words}",
                    ["python", f"t{n % 20}"],
                    "2026-01-01T00:00:00Z",
                    n.to_bytes(4, "big"),
                )
            )
    model = register_model(conn, "bench-model", DIM)
    activate_model(conn, model.id)
    vectors = rng.standard_normal((JOBS, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [int(str(r[0])) for r in conn.execute("SELECT id FROM jobs ORDER BY id").fetchall()]
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY job_embeddings (model_id, job_id, embedding, content_hash) FROM STDIN"
        ) as copy,
    ):
        for job_id, vector in zip(ids, vectors, strict=True):
            copy.write_row((model.id, job_id, "[" + ",".join(map(str, vector)) + "]", b"h"))
    return model.id, ids


def naive_ratio(url: str, user_id: int, rounds: int = 200) -> tuple[float, float]:
    """Mean ms of the stored-list read vs a per-request pgvector top-50 (the naive way)."""
    conn = connect(url)
    conn.autocommit = True
    query = np.random.default_rng(1).standard_normal(DIM).astype(np.float32)
    query /= np.linalg.norm(query)
    conn.execute("SET hnsw.ef_search = 100")
    timings = []
    for read in (
        lambda: recommended_page_json(conn, user_id),
        lambda: conn.execute(
            "SELECT j.id, j.title, j.company, j.location, j.remote, j.tags, j.url,"
            " j.snippet, 1 - (e.embedding::vector(384) <=> %(q)s) AS score"
            " FROM job_embeddings e JOIN jobs j ON j.id = e.job_id"
            " WHERE e.model_id = (SELECT id FROM embedding_models WHERE is_active)"
            " ORDER BY e.embedding::vector(384) <=> %(q)s LIMIT 50",
            {"q": query},
        ).fetchall(),
    ):
        read()
        start = time.perf_counter()
        for _ in range(rounds):
            read()
        timings.append((time.perf_counter() - start) / rounds * 1000)
    conn.close()
    return timings[0], timings[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_api(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "JOBMATCH_HOME": tempfile.mkdtemp()}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.page:timed_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("the API did not come up within 60 s")


class Figures:
    def __init__(self, name: str, rps: float, p50: float, p99: float, errors: int) -> None:
        self.name, self.rps, self.p50, self.p99, self.errors = name, rps, p50, p99, errors

    def line(self) -> str:
        return (
            f"{self.name:<22} {self.rps:>9.0f} req/s   p50 {self.p50:6.1f} ms   "
            f"p99 {self.p99:6.1f} ms   errors {self.errors}"
        )


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise SystemExit(f"cannot read the wrk latency {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(name: str, output: str) -> Figures:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    # The distribution's own lines: a stdev column can end in "50%" too ("72.50%").
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Figures(name, rps, p50, p99, errors + (int(non_2xx.group(1)) if non_2xx else 0))


def run_wrk(targets: list[tuple[str, str, int]], token: str, duration: int) -> list[Figures]:
    """One wrk process per target, all at once; (name, url, connections)."""
    processes = [
        (
            name,
            subprocess.Popen(
                [
                    "wrk",
                    "-t1",
                    f"-c{clients}",
                    f"-d{duration}s",
                    "--latency",
                    "--timeout",
                    "5s",
                    "-H",
                    f"Authorization: Bearer {token}",
                    url,
                ],
                stdout=subprocess.PIPE,
                text=True,
            ),
        )
        for name, url, clients in targets
    ]
    outputs = [(name, process.communicate()[0]) for name, process in processes]
    if os.environ.get("BENCH_VERBOSE"):
        for _, output in outputs:
            print(output)
    return [parse_wrk(name, output) for name, output in outputs]


async def _client(
    http: httpx.AsyncClient, url: str, deadline: float, out: list[float], errors: list[int]
) -> None:
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            response = await http.get(url)
            if response.status_code != 200:
                errors.append(response.status_code)
        except httpx.HTTPError:
            errors.append(0)
        out.append((time.perf_counter() - start) * 1000)


async def _httpx_load(
    targets: list[tuple[str, str, int]], token: str, duration: int
) -> list[Figures]:
    deadline = time.monotonic() + duration
    results = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=10) as http:
        runs = [([], []) for _ in targets]  # type: ignore[var-annotated]
        await asyncio.gather(
            *(
                _client(http, url, deadline, runs[i][0], runs[i][1])
                for i, (_, url, clients) in enumerate(targets)
                for _ in range(clients)
            )
        )
    for (name, _, _), (latencies, errors) in zip(targets, runs, strict=True):
        ordered = np.sort(np.array(latencies))
        results.append(
            Figures(
                name,
                len(ordered) / duration,
                float(np.percentile(ordered, 50)),
                float(np.percentile(ordered, 99)),
                len(errors),
            )
        )
    return results


def measure(url: str, args: argparse.Namespace) -> None:
    """Seed `url`, start the API on it, run the load and print every figure."""
    token, user_id, session = seed(url)
    stored_ms, naive_ms = naive_ratio(url, user_id)
    port = free_port()
    api = start_api(url, port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        check = httpx.get(
            f"{base}/jobs/recommendations", headers={"Authorization": f"Bearer {token}"}
        ).json()
        if check["status"] != "ready" or len(check["items"]) != 50:
            raise SystemExit(f"the seeded list is not served: {check['status']}")
        targets = [
            ("GET /jobs/recommendations", f"{base}/jobs/recommendations", args.clients),
            ("GET /health", f"{base}/health", args.health_clients),
        ]
        tool = ("wrk" if shutil.which("wrk") else "httpx") if args.tool == "auto" else args.tool
        print(
            f"{args.duration} s, {args.clients} + {args.health_clients} concurrent "
            f"clients, {args.workers} uvicorn worker(s), load generator: {tool}, "
            f"{os.cpu_count()} CPUs shared with the load generator"
        )
        figures = (
            run_wrk(targets, token, args.duration)
            if tool == "wrk"
            else asyncio.run(_httpx_load(targets, token, args.duration))
        )
        pages = page_vs_json(api, port, token, session, args.page_rounds)
        at_rate = fixed_rate(port, token, session, args) if args.rate else []
    finally:
        api.terminate()
        api.wait(timeout=30)
    for figure in figures:
        print(figure.line())
    print(f"{'both together':<22} {sum(f.rps for f in figures):>9.0f} req/s")
    print(
        f"stored list read {stored_ms:.2f} ms vs naive per-request pgvector top-50 "
        f"{naive_ms:.2f} ms in SQL alone: {naive_ms / stored_ms:.1f}x"
    )
    print_page_figures(pages, args.page_rounds)
    if at_rate:
        print(
            f"open loop: each endpoint alone at a fixed rate for {args.rate_duration:g} s "
            "(latency from each request's due time)"
        )
    for at in at_rate:
        print(at.line())


def fixed_rate(port: int, token: str, session: str, args: argparse.Namespace) -> list[RateFigures]:
    """The JSON list, the web list page and `/health`, one after another, each at every
    fixed offered rate `--rate` (bench/rate.py)."""
    root = f"http://127.0.0.1:{port}"
    targets = [
        (
            "GET /jobs/recommendations",
            "/api/v1/jobs/recommendations",
            "Authorization",
            f"Bearer {token}",
        ),
        ("GET / (web list page)", "/", "Cookie", f"jobmatch_session={session}"),
        ("GET /health", "/api/v1/health", "Accept", "application/json"),
    ]
    return [
        offer(name, root + path, {header: value}, rate, args.rate_duration)
        for rate in args.rate
        for name, path, header, value in targets
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--health-clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--tool", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--page-rounds", type=int, default=2000, help="requests per endpoint")
    parser.add_argument(
        "--rate",
        type=float,
        action="append",
        default=[],
        help="also offer each endpoint this many req/s, open loop (repeat for several rates)",
    )
    parser.add_argument("--rate-duration", type=float, default=10, help="seconds per endpoint")
    args = parser.parse_args()
    with scratch_database("jobmatch-bench-") as url:
        measure(url, args)


if __name__ == "__main__":
    main()
