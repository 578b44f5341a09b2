"""The web app's recommendations page beside the JSON endpoint, for `bench/api.py`:
each endpoint asked one request at a time, its server time (a `Server-Timing` header the
wrapped app adds), the server processes' CPU and the client's latency."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import httpx
import numpy as np


def timed_app() -> Any:
    """The app `jobmatch serve` runs, each response carrying the time the server took to
    start it (handler, SQL, rendering) in a `Server-Timing: app;dur=MS` header."""
    from server.app import app_from_env

    app = app_from_env()

    async def timed(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start = time.perf_counter()

        async def send_timed(message: Any) -> None:
            if message["type"] == "http.response.start":
                took = f"app;dur={(time.perf_counter() - start) * 1000:.3f}"
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", took.encode()),
                ]
            await send(message)

        await app(scope, receive, send_timed)

    return timed


def _server_cpu_s(api: subprocess.Popen[bytes]) -> float:
    """CPU seconds used so far by uvicorn and its worker processes."""
    import psutil

    root = psutil.Process(api.pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        times = process.cpu_times()
        total += times.user + times.system
    return total


def page_vs_json(
    api: subprocess.Popen[bytes], port: int, token: str, session: str, rounds: int
) -> list[tuple[str, float, float, float]]:
    """(name, p50 server time ms, server CPU ms per request, p50 latency ms) of each
    endpoint, one request at a time on one kept-alive connection; the page last."""
    root = f"http://127.0.0.1:{port}"
    bearer = {"Authorization": f"Bearer {token}"}
    targets = [
        ("GET /api/v1/jobs/recommendations", f"{root}/api/v1/jobs/recommendations", bearer),
        ("  the same, ?limit=10", f"{root}/api/v1/jobs/recommendations?limit=10", bearer),
        ("GET / (the page, 10 jobs)", f"{root}/", {"Cookie": f"jobmatch_session={session}"}),
    ]
    results = []
    with httpx.Client(timeout=10) as http:
        page = http.get(targets[-1][1], headers=targets[-1][2])
        if page.status_code != 200 or page.text.count('<li class="card"') != 10:
            raise SystemExit(f"the recommendations page is not served: {page.status_code}")
        for name, target, headers in targets:
            for _ in range(min(200, rounds)):
                http.get(target, headers=headers)
            cpu = _server_cpu_s(api)
            latencies, server = [], []
            for _ in range(rounds):
                start = time.perf_counter()
                response = http.get(target, headers=headers)
                latencies.append((time.perf_counter() - start) * 1000)
                response.raise_for_status()
                server.append(float(response.headers["server-timing"].partition("dur=")[2]))
            cpu_ms = (_server_cpu_s(api) - cpu) * 1000 / rounds
            results.append(
                (name, float(np.median(server)), cpu_ms, float(np.percentile(latencies, 50)))
            )
    return results


def print_page_figures(pages: list[tuple[str, float, float, float]], rounds: int) -> None:
    """The figures of `page_vs_json`, and the page's ratios to each JSON read."""
    print(f"one client at a time, {rounds} requests each:")
    for name, server_ms, cpu_ms, p50 in pages:
        print(
            f"{name:<34} server time p50 {server_ms:5.2f} ms   server CPU {cpu_ms:5.2f} ms"
            f"/request   latency p50 {p50:5.2f} ms"
        )
    _, page_server, page_cpu, _ = pages[-1]
    for name, server_ms, cpu_ms, _ in pages[:-1]:
        print(
            f"page / {name.strip()}: {page_server / server_ms:.2f}x server time,"
            f" {page_cpu / cpu_ms:.2f}x server CPU"
        )
