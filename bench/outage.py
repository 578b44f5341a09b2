"""The API through a database outage: load on `GET /jobs/recommendations` while the
database stops in the middle and starts again.

Seeds a private embedded PostgreSQL (one the script may stop: `tests/stoppable_server`)
as bench/api.py does, starts `uvicorn` on 127.0.0.1, drives `--clients` concurrent
clients for `--duration` seconds, stops the database (a fast shutdown, as a restart does)
at the middle for `--outage` seconds, then starts it again. Prints the time from the
stop to the first 503, from the restart to the first 200, the first answer after the
restart, the slowest 503, and the answers by status over the whole run.

    .venv/bin/python bench/outage.py [--duration 30] [--clients 32] [--outage 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api import free_port, seed, start_api  # noqa: E402
from tests.stoppable_server import StoppableServer, stoppable_server  # noqa: E402


@dataclass
class Answers:
    """Every answer: (when it arrived, since the start; status; how long it took)."""

    started: float = field(default_factory=time.monotonic)
    rows: list[tuple[float, int, float]] = field(default_factory=list)


async def _client(url: str, token: str, deadline: float, answers: Answers) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30) as client:
        while time.monotonic() < deadline:
            sent = time.monotonic()
            try:
                status = (await client.get(url, headers=headers)).status_code
            except httpx.HTTPError:
                status = 0  # no answer at all
            now = time.monotonic()
            answers.rows.append((now - answers.started, status, now - sent))
            if status != 200:
                await asyncio.sleep(0.05)  # as a client honouring a short Retry-After would


async def _load(url: str, token: str, args: argparse.Namespace, answers: Answers) -> None:
    deadline = time.monotonic() + args.duration
    await asyncio.gather(*(_client(url, token, deadline, answers) for _ in range(args.clients)))


def _outage(server: StoppableServer, args: argparse.Namespace, marks: dict[str, float]) -> None:
    """Stop the database at the middle of the run and start it `args.outage` s later."""
    started = marks["start"]
    time.sleep(max(0.0, args.duration / 2 - args.outage / 2))
    marks["stop"] = time.monotonic() - started
    server.stop()
    time.sleep(args.outage)
    server.start()
    marks["restart"] = time.monotonic() - started


def report(answers: Answers, marks: dict[str, float], args: argparse.Namespace) -> None:
    stop, restart = marks["stop"], marks["restart"]
    first_503 = next((t for t, s, _ in answers.rows if t >= stop and s == 503), None)
    after = sorted((t, s) for t, s, _ in answers.rows if t >= restart)
    first_200 = next((t for t, s in after if s == 200), None)
    slowest_503 = max((d for _, s, d in answers.rows if s == 503), default=0.0)
    statuses = Counter(s for _, s, _ in answers.rows)
    print(
        f"{args.clients} clients, {args.duration} s, database stopped at {stop:.1f} s "
        f"for {restart - stop:.1f} s (stop and start included)"
    )
    if first_503 is not None:
        print(f"time from the stop to the first 503:        {first_503 - stop:.2f} s")
    if first_200 is not None:
        print(f"time from the restart to the first 200:     {first_200 - restart:.2f} s")
    if after:
        print(f"first answer after the restart:            {after[0][1]}")
    print(f"slowest 503:                               {slowest_503:.2f} s")
    total = sum(statuses.values())
    errors = total - statuses[200]
    print(f"answers: {total:,}; by status: {dict(sorted(statuses.items()))}; non-200: {errors:,}")
    late = sum(1 for t, s, _ in answers.rows if t > restart + 1 and s != 200)
    print(f"non-200 answers later than 1 s after the restart: {late}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--outage", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    with stoppable_server() as server:
        token, _, _ = seed(server.url)
        port = free_port()
        api = start_api(server.url, port, args.workers)
        try:
            url = f"http://127.0.0.1:{port}/api/v1/jobs/recommendations"
            answers, marks = Answers(), {"start": time.monotonic()}
            answers.started = marks["start"]
            stopper = threading.Thread(target=_outage, args=(server, args, marks))
            stopper.start()
            asyncio.run(_load(url, token, args, answers))
            stopper.join()
            report(answers, marks, args)
        finally:
            api.terminate()
            api.wait(timeout=30)
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
