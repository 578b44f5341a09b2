"""The API (`jobmatch serve`, real uvicorn) while its database stops, restarts, pauses:
503 with Retry-After within about 2 s, `/health` says so at once, the first request
after the restart is served, and a paused database stalls neither `/health` nor an
endpoint that needs no database: every read runs off the event loop, and every
statement has a timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from schema.database import connection
from schema.queries.web_sessions import open_session
from server.db import STATEMENT_TIMEOUT_MS
from server.web.auth import SESSION_COOKIE
from tests.serving import serving
from tests.stoppable_server import StoppableServer, stoppable_server

# Routes that read the database: the API's (a bearer token) and the web app's (a session).
API_READS = ("/jobs/recommendations", "/jobs/search?q=python", "/jobs")
PAGE_READS = ("/", "/search?q=python", "/cv")
# How soon `/health` and a page without SQL answer while requests hang on the database.
NO_STALL_S = 1.0


@pytest.fixture(scope="module")
def outage_db() -> Iterator[StoppableServer]:
    with stoppable_server() as server:
        yield server


@pytest.fixture
def api(outage_db: StoppableServer, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """(base URL, a user's auth header) of an API on the stoppable database."""
    with serving(outage_db.url, tmp_path) as root:
        base = f"{root}/api/v1"
        try:
            email = f"o{root.rsplit(':', 1)[1]}@example.com"
            token = httpx.post(f"{base}/users", json={"email": email}).json()["token"]
            yield base, {"Authorization": f"Bearer {token}"}
        finally:
            outage_db.resume()


def _timed(url: str, **kwargs: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.get(url, timeout=30, **kwargs)  # type: ignore[arg-type]
    return response, time.monotonic() - started


def test_stop_fails_fast_and_the_first_request_after_restart_is_served(
    api: tuple[str, dict[str, str]], outage_db: StoppableServer
) -> None:
    base, auth = api
    for _ in range(5):  # idle connections in the pool, all to be broken by the restart
        assert httpx.get(f"{base}/users/me", headers=auth).status_code == 200
    outage_db.stop()
    try:
        first, seconds = _timed(f"{base}/users/me", headers=auth)
        assert first.status_code == 503
        assert first.headers["retry-after"] == "2"
        assert seconds < 3
        health, seconds = _timed(f"{base}/health")
        assert health.status_code == 503
        assert health.json()["detail"].startswith("database unreachable")
        assert seconds < 1
    finally:
        outage_db.start()
    after, _ = _timed(f"{base}/users/me", headers=auth)
    assert after.status_code == 200, after.text
    assert httpx.get(f"{base}/health").status_code == 200


def _signed_in(url: str, base: str, auth: dict[str, str]) -> dict[str, str]:
    """A web session cookie for the API user of `auth` (opened in the database, as a
    sign-in does)."""
    user_id = httpx.get(f"{base}/users/me", headers=auth).json()["id"]
    with connection(url, autocommit=True) as conn:
        sid = open_session(conn, user_id, timedelta(days=14))
    return {"Cookie": f"{SESSION_COOKIE}={sid}"}


@dataclass(frozen=True)
class Held:
    """How a held request ended."""

    url: str
    status: int
    seconds: float
    ended: float


def _hold(requests: list[tuple[str, dict[str, str]]]) -> tuple[list[threading.Thread], list[Held]]:
    """Send every request at once, each on its own thread; their outcomes, once done."""
    held: list[Held] = []

    def send(url: str, headers: dict[str, str]) -> None:
        response, seconds = _timed(url, headers=headers)
        held.append(Held(url, response.status_code, seconds, time.monotonic()))

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    return threads, held


def _no_stall(root: str) -> list[float]:
    """`/health` and a page without SQL (the OpenAPI document), each asked twice once the
    held requests reach their SQL: each answers within `NO_STALL_S`. When each answer came
    (`time.monotonic()`), to compare with when the held requests ended."""
    time.sleep(0.3)
    answered = []
    for _ in range(2):
        for url in (f"{root}/api/v1/health", f"{root}/schema/openapi.json"):
            response, seconds = _timed(url)
            assert response.status_code in {200, 503}, response.text
            assert seconds < NO_STALL_S, f"{url} took {seconds:.2f} s"
            answered.append(time.monotonic())
    return answered


def _all_held_meanwhile(answered: list[float], held: list[Held], count: int) -> None:
    """Every one of the `count` held requests was still in flight when the last check
    answered."""
    assert len(held) == count, held
    assert min(h.ended for h in held) > max(answered), (answered, held)


def test_a_paused_database_stalls_neither_health_nor_requests_without_sql(
    api: tuple[str, dict[str, str]], outage_db: StoppableServer
) -> None:
    """With PostgreSQL frozen (SIGSTOP), a request on every route that reads the
    database hangs on a worker thread, never on the event loop."""
    base, auth = api
    root = base.removesuffix("/api/v1")
    cookie = _signed_in(outage_db.url, base, auth)
    assert httpx.get(f"{base}/users/me", headers=auth).status_code == 200  # token cached
    reads = [(f"{base}{path}", auth) for path in API_READS]
    reads += [(f"{root}{path}", cookie) for path in PAGE_READS]
    threads, held = _hold(reads)  # the pool grows to a connection per request
    for thread in threads:
        thread.join(timeout=30)
    assert [h.status for h in held] == [200] * len(reads), held
    outage_db.pause()
    try:
        threads, held = _hold(reads)
        answered = _no_stall(root)
        for thread in threads:
            thread.join(timeout=30)
        _all_held_meanwhile(answered, held, len(reads))
        # The watchdog, told by the pulse that the server is silent, cuts them: 503s.
        assert sorted(h.status for h in held) == [503] * len(threads), held
        assert max(h.seconds for h in held) < 8
        health, seconds = _timed(f"{base}/health")
        assert health.status_code == 503
        assert seconds < 1
        assert health.headers["retry-after"] == "2"
    finally:
        outage_db.resume()
    deadline = time.monotonic() + 10
    while httpx.get(f"{base}/health", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the API did not recover after the pause"
        time.sleep(0.2)


@pytest.mark.parametrize(
    ("tables", "api_paths", "page_paths"),
    [
        # The stored list (the API's and the web page's read), search and the job list.
        ("jobs, recommendation_lists", API_READS, ("/", "/search?q=python")),
        # The web session lookup every signed-in page starts with.
        ("web_sessions", (), ("/cv", "/saved", "/tokens")),
    ],
)
def test_statements_waiting_on_a_lock_time_out_off_the_event_loop(
    api: tuple[str, dict[str, str]],
    outage_db: StoppableServer,
    tables: str,
    api_paths: tuple[str, ...],
    page_paths: tuple[str, ...],
) -> None:
    """Tables locked by another session: each statement waiting on them is cancelled by
    the server's statement timeout (503), while `/health` (the database answers) and a
    page without SQL go on answering at once."""
    base, auth = api
    root = base.removesuffix("/api/v1")
    cookie = _signed_in(outage_db.url, base, auth)
    assert httpx.get(f"{base}/users/me", headers=auth).status_code == 200  # token cached
    with connection(outage_db.url) as locker:
        locker.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
        threads, held = _hold(
            [(f"{base}{path}", auth) for path in api_paths]
            + [(f"{root}{path}", cookie) for path in page_paths]
        )
        answered = _no_stall(root)
        assert httpx.get(f"{base}/health").status_code == 200  # the database answers
        for thread in threads:
            thread.join(timeout=30)
        locker.rollback()
    _all_held_meanwhile(answered, held, len(threads))
    assert sorted(h.status for h in held) == [503] * len(threads), held
    timeout_s = STATEMENT_TIMEOUT_MS / 1000
    assert all(timeout_s - 0.5 < h.seconds < timeout_s + 3 for h in held), held
    # Nothing was left broken: the same requests are served once the lock is gone.
    for path in api_paths:
        assert httpx.get(f"{base}{path}", headers=auth, timeout=10).status_code == 200
    for path in page_paths:
        assert httpx.get(f"{root}{path}", headers=cookie, timeout=10).status_code == 200
