"""An open-loop load generator for `bench/api.py --rate N`: requests leave on a fixed
schedule (one every 1/N s) whatever the answers, so a slow answer cannot slow the
offered load down (as it does a closed loop of clients) and queueing shows in the
latency.

Each request's latency runs from the moment it was *due*, not from when it was sent: a
generator that falls behind (its own CPU starved) counts its lateness against the server
rather than hiding it. Kept-alive HTTP/1.1 connections are reused when idle, and a new
one is opened when none is (as many as the requests in flight). The client is a few
lines of asyncio streams, not httpx, so that it costs little CPU beside the server.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

ANSWER_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RateFigures:
    """One endpoint at one offered rate: what came back and how fast."""

    name: str
    offered: float
    achieved: float  # answers (any status) per second over the run
    p50: float
    p90: float
    p99: float
    max: float
    errors: list[int]  # the status of each non-200 answer; 0: no answer (failed, timed out)

    def line(self) -> str:
        kinds = ", ".join(
            f"{code or 'none'}×{self.errors.count(code)}" for code in set(self.errors)
        )
        return (
            f"{self.name:<26} offered {self.offered:5.0f}/s  achieved {self.achieved:6.1f}/s  "
            f"p50 {self.p50:6.1f}  p90 {self.p90:6.1f}  p99 {self.p99:6.1f}  "
            f"max {self.max:7.1f} ms  errors {len(self.errors)}" + (f" ({kinds})" if kinds else "")
        )


class _Connections:
    """Idle kept-alive connections to one host, opened on demand, reused oldest first
    (so none idles long enough for the server to close it)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: deque[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = deque()
        self.opened: list[asyncio.StreamWriter] = []

    async def take(
        self, *, fresh: bool = False
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        """(reader, writer, whether it was reused)."""
        if self.idle and not fresh:
            return *self.idle.popleft(), True
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.opened.append(writer)
        return reader, writer, False

    def close(self) -> None:
        for writer in self.opened:
            writer.close()


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bool]:
    """Send one request, read its whole answer; (status, whether the connection stays)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines[1:] if line)
    }
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() != "close"


async def _one(
    pool: _Connections, request: bytes, due: float, latencies: list[float], errors: list[int]
) -> None:
    try:
        reader, writer, reused = await pool.take()
        try:
            status, keep = await asyncio.wait_for(
                _exchange(reader, writer, request), ANSWER_TIMEOUT_S
            )
        except (ConnectionResetError, asyncio.IncompleteReadError):
            if not reused:
                raise
            # The server closed the idle connection as it was reused (as any HTTP
            # client does, the request is sent again on a new one).
            writer.close()
            reader, writer, _ = await pool.take(fresh=True)
            status, keep = await asyncio.wait_for(
                _exchange(reader, writer, request), ANSWER_TIMEOUT_S
            )
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
        errors.append(0)
        latencies.append((time.perf_counter() - due) * 1000)
        return
    latencies.append((time.perf_counter() - due) * 1000)
    if status != 200:
        errors.append(status)
    if keep:
        pool.idle.append((reader, writer))
    else:
        writer.close()


async def _offer(
    url: str, headers: dict[str, str], rate: float, duration: float
) -> tuple[list[float], list[int], float]:
    """Send GET `url` `rate` times a second for `duration` s; (latencies ms, errors,
    seconds from the first due time to the last answer)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    pool = _Connections(parts.hostname or "127.0.0.1", parts.port or 80)
    latencies: list[float] = []
    errors: list[int] = []
    sent: list[asyncio.Task[None]] = []
    count = int(rate * duration)
    start = time.perf_counter() + 0.05
    try:
        for n in range(count):
            due = start + n / rate
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            sent.append(asyncio.create_task(_one(pool, request, due, latencies, errors)))
        await asyncio.gather(*sent)
    finally:
        pool.close()
    return latencies, errors, time.perf_counter() - start


def offer(
    name: str, url: str, headers: dict[str, str], rate: float, duration: float
) -> RateFigures:
    """`url` at a fixed offered `rate` for `duration` seconds, after a one-second warm-up
    at the same rate (connections opened, caches filled) that is not counted."""
    asyncio.run(_offer(url, headers, rate, 1.0))
    latencies, errors, took = asyncio.run(_offer(url, headers, rate, duration))
    ordered = np.sort(np.array(latencies))
    p50, p90, p99 = (float(np.percentile(ordered, q)) for q in (50, 90, 99))
    return RateFigures(
        name, rate, len(ordered) / took, p50, p90, p99, float(ordered[-1]), sorted(errors)
    )
