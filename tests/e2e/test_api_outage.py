"""The API (`jobmatch serve`, real uvicorn) while its database stops, restarts, pauses:
503 with Retry-After within about 2 s, `/health` says so at once, the first request
after the restart is served, and a paused database stalls neither `/health` nor an
endpoint that needs no database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving import serving
from tests.stoppable_server import StoppableServer, stoppable_server


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


def test_a_paused_database_stalls_neither_health_nor_requests_without_sql(
    api: tuple[str, dict[str, str]], outage_db: StoppableServer
) -> None:
    base, auth = api
    schema_url = f"{base.removesuffix('/api/v1')}/schema/openapi.json"
    assert httpx.get(f"{base}/users/me", headers=auth).status_code == 200  # token cached
    outage_db.pause()
    try:
        # The stored list is read on the event loop, so it stalls the loop until the
        # watchdog, told by the pulse that the server is silent, cuts it: about 3 s,
        # not the 8 s a slow (not silent) server gets.
        on_loop: dict[str, tuple[httpx.Response, float]] = {}
        reader = threading.Thread(
            target=lambda: on_loop.update(read=_timed(f"{base}/jobs/recommendations", headers=auth))
        )
        reader.start()
        time.sleep(0.3)
        schema, seconds = _timed(schema_url)
        assert schema.status_code == 200
        assert seconds < 6
        reader.join(timeout=30)
        read, seconds = on_loop["read"]
        assert read.status_code == 503
        assert seconds < 6
        # Then /health says so from memory, and the loop is free.
        health, seconds = _timed(f"{base}/health")
        assert health.status_code == 503
        assert seconds < 1
        assert health.headers["retry-after"] == "2"
        schema, seconds = _timed(schema_url)
        assert schema.status_code == 200
        assert seconds < 1
    finally:
        outage_db.resume()
    deadline = time.monotonic() + 10
    while httpx.get(f"{base}/health", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the API did not recover after the pause"
        time.sleep(0.2)
