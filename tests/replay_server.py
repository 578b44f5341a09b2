"""A real HTTP server on 127.0.0.1, in a thread, that replays canned responses.

Each path has a queue of responses; the last one repeats. Every request is recorded
(path, query, headers, time) so tests can check retries, pacing and the User-Agent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Canned:
    """One response: status, body, headers, and a delay before answering (for timeouts)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def json(cls, payload: object, status: int = 200, **headers: str) -> Canned:
        """A JSON response."""
        return cls(status, json.dumps(payload).encode(), headers)

    @classmethod
    def file(cls, path: Path, status: int = 200) -> Canned:
        """A response whose body is a fixture file, byte for byte."""
        return cls(status, path.read_bytes())


@dataclass(frozen=True)
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float


class ReplayServer:
    """Routes are set with `add(path, *responses)`; `url(path)` gives the full address."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Canned]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll interval makes `stop` quick (the default waits up to half a second).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def add(self, path: str, *responses: Canned) -> None:
        """Answer `path` with `responses` in turn, repeating the last one."""
        with self._lock:
            self.routes[path] = list(responses)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def hits(self, path: str) -> list[Request]:
        """The requests made to `path`, in order."""
        return [r for r in self.requests if r.path == path]

    def _next(self, path: str) -> Canned:
        with self._lock:
            queue = self.routes.get(path)
            if not queue:
                return Canned(404, b'{"error": "no such route"}')
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with server._lock:
                    server.requests.append(
                        Request(parts.path, parse_qs(parts.query), dict(self.headers), time.time())
                    )
                canned = server._next(parts.path)
                if canned.delay:
                    time.sleep(canned.delay)
                try:
                    self.send_response(canned.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(canned.body)))
                    for name, value in canned.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(canned.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to answer

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def replay_server() -> Iterator[ReplayServer]:
    """A started server, stopped on exit."""
    server = ReplayServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
