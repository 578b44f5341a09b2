"""A real HTTP server on 127.0.0.1, in a thread, playing a job site's posting pages.

The path's first segment picks the behaviour (the rest is the posting's id):
`open` 200; `gone404` 404; `gone410` 410; `to-search` 302 to a search page; `to-home`
301 to `/`; `renamed` 301 to the same posting under a new path (still open); `loop`
302 to itself with a counter, forever; `slow` answers after `slow_s`; `drip` sends
headers at once, then a byte every half second; `huge` refuses HEAD and streams
`huge_bytes` of body to a GET; `busy` 503 with `Retry-After: 1` the first time, 200
after; `limited` 429 without Retry-After, always; `nohead` 405 to HEAD, 200 to GET;
`broken` 500. Every request is logged (method, path, User-Agent, monotonic start time)
and the bytes a huge body really sent counted.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

KINDS = (
    "open",
    "gone404",
    "gone410",
    "to-search",
    "to-home",
    "renamed",
    "loop",
    "slow",
    "drip",
    "huge",
    "busy",
    "limited",
    "nohead",
    "broken",
)


@dataclass(frozen=True)
class Hit:
    method: str
    path: str
    user_agent: str
    at: float


class PostingSite:
    """One site (host:port). `url(kind, posting_id)` gives a posting's address."""

    def __init__(self, *, slow_s: float = 30.0, huge_bytes: int = 200_000_000) -> None:
        self.slow_s, self.huge_bytes = slow_s, huge_bytes
        self.hits: list[Hit] = []
        self.huge_sent = 0
        self._busy_seen: set[str] = set()
        self._lock = threading.Lock()
        self.server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, kind: str, posting_id: str) -> str:
        """A posting's URL on this site."""
        return f"{self.base}/{kind}/{posting_id}"

    def record(self, method: str, path: str, user_agent: str) -> None:
        with self._lock:
            self.hits.append(Hit(method, path, user_agent, time.monotonic()))

    def first_busy(self, path: str) -> bool:
        with self._lock:
            first = path not in self._busy_seen
            self._busy_seen.add(path)
            return first

    def add_huge_sent(self, count: int) -> None:
        with self._lock:
            self.huge_sent += count


class _QuietServer(ThreadingHTTPServer):
    """A client that hung up (a timeout, a cut body) is expected here, not an error."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _handler(site: PostingSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def do_HEAD(self) -> None:
            self._answer("HEAD")

        def do_GET(self) -> None:
            self._answer("GET")

        def _answer(self, method: str) -> None:
            site.record(method, self.path, self.headers.get("User-Agent", ""))
            kind, _, rest = urlsplit(self.path).path.lstrip("/").partition("/")
            if kind in ("huge", "nohead", "drip") and method == "HEAD":
                return self._send(405)
            if kind == "huge":
                return self._stream_huge()
            if kind == "drip":
                return self._drip()
            if kind == "slow":
                time.sleep(site.slow_s)
            self._simple(kind, rest, method)

        def _simple(self, kind: str, rest: str, method: str) -> None:
            if kind in ("open", "renamed-to", "search", "nohead", "slow") or self.path == "/":
                self._send(200, b"<html><body>a job page</body></html>", method)
            elif kind == "gone404":
                self._send(404, b"not found", method)
            elif kind == "gone410":
                self._send(410, b"gone", method)
            elif kind == "to-search":
                self._send(302, location="/search?q=engineer")
            elif kind == "to-home":
                self._send(301, location="/")
            elif kind == "renamed":
                self._send(301, location=f"/renamed-to/{rest}")
            elif kind == "loop":
                step = int(rest.rpartition("-")[2]) if "-" in rest else 0
                self._send(302, location=f"/loop/{rest.partition('-')[0]}-{(step + 1) % 3}")
            elif kind == "limited":
                self._send(429, b"slow down", method)
            elif kind == "busy":
                if site.first_busy(self.path):
                    self._send(503, b"busy", method, headers={"Retry-After": "1"})
                else:
                    self._send(200, b"<html>open again</html>", method)
            else:
                self._send(500, b"broken", method)

        def _send(
            self,
            status: int,
            body: bytes = b"",
            method: str = "GET",
            *,
            location: str | None = None,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method == "GET":
                self.wfile.write(body)

        def _stream_huge(self) -> None:
            # No Content-Length: the client learns the size only by reading.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"x" * 65536
            sent = 0
            try:
                while sent < site.huge_bytes:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:  # the client hung up: what we want
                pass
            finally:
                site.add_huge_sent(sent)
                self.close_connection = True

        def _drip(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                pass

    return Handler


@contextmanager
def posting_site(*, slow_s: float = 30.0, huge_bytes: int = 200_000_000) -> Iterator[PostingSite]:
    """A running `PostingSite`, shut down afterwards."""
    site = PostingSite(slow_s=slow_s, huge_bytes=huge_bytes)
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()
