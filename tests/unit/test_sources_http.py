"""The polite client against a real HTTP server on 127.0.0.1 replaying canned responses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.replay_server import Canned, ReplayServer, replay_server
from workers.sources.http import USER_AGENT, HttpPolicy, PoliteClient, SourceError

FAST = HttpPolicy(timeout=0.3, retries=2, backoff=0.01, max_wait=2.0, delay=0.0)


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with replay_server() as running:
        yield running


def test_retries_a_500_then_succeeds(server: ReplayServer) -> None:
    server.add("/api", Canned(500, b"oops"), Canned.json([{"id": 1}]))
    with PoliteClient(FAST) as client:
        assert client.get_json(server.url("/api")) == [{"id": 1}]
        assert client.waits == [0.01]  # one backoff before the retry
    assert len(server.hits("/api")) == 2


def test_backoff_doubles_and_gives_up_with_the_last_reason(server: ReplayServer) -> None:
    server.add("/api", Canned(503, b"down"))
    with (
        PoliteClient(FAST) as client,
        pytest.raises(SourceError, match="3 attempts; last: HTTP 503"),
    ):
        client.get_json(server.url("/api"))
    assert client.waits == [0.01, 0.02]
    assert len(server.hits("/api")) == 3


def test_429_honours_retry_after(server: ReplayServer) -> None:
    server.add(
        "/api", Canned.json({"error": "slow down"}, 429, **{"Retry-After": "1"}), Canned.json([])
    )
    with PoliteClient(FAST) as client:
        assert client.get_json(server.url("/api")) == []
        assert client.waits == [1.0]  # the server's figure, not our tiny backoff
    first, second = server.hits("/api")
    assert second.at - first.at >= 0.9


def test_a_slow_response_times_out_and_is_retried(server: ReplayServer) -> None:
    server.add("/api", Canned(200, b"[]", delay=1.0), Canned.json([{"id": 2}]))
    with PoliteClient(FAST) as client:
        assert client.get_json(server.url("/api")) == [{"id": 2}]
    assert len(server.hits("/api")) == 2


def test_timeouts_every_time_fail_the_source(server: ReplayServer) -> None:
    server.add("/api", Canned(200, b"[]", delay=0.6))
    policy = HttpPolicy(timeout=0.2, retries=1, backoff=0.01, delay=0.0)
    with PoliteClient(policy) as client, pytest.raises(SourceError, match="ReadTimeout"):
        client.get_json(server.url("/api"))


def test_invalid_json_fails_at_once(server: ReplayServer) -> None:
    server.add("/api", Canned(200, b'[{"id": 1, "title": "trunc'))
    with (
        PoliteClient(FAST) as client,
        pytest.raises(SourceError, match="invalid or truncated JSON"),
    ):
        client.get_json(server.url("/api"))
    assert len(server.hits("/api")) == 1


def test_a_404_is_not_retried(server: ReplayServer) -> None:
    server.add("/api", Canned(404, b"{}"))
    with PoliteClient(FAST) as client, pytest.raises(SourceError, match="HTTP 404"):
        client.get_json(server.url("/api"))
    assert len(server.hits("/api")) == 1


def test_sends_an_identifying_user_agent_and_paces_requests(server: ReplayServer) -> None:
    server.add("/api", Canned.json([]))
    policy = HttpPolicy(timeout=1.0, retries=0, delay=0.2)
    with PoliteClient(policy) as client:
        client.get_json(server.url("/api"))
        client.get_json(server.url("/api"), {"page": 2})
    first, second = server.hits("/api")
    assert first.headers["User-Agent"] == USER_AGENT
    assert second.query == {"page": ["2"]}
    assert second.at - first.at >= 0.15


def test_error_messages_hide_the_query_with_api_keys(server: ReplayServer) -> None:
    server.add("/api", Canned(401, b"{}"))
    with PoliteClient(FAST) as client, pytest.raises(SourceError) as raised:
        client.get_json(server.url("/api"), {"app_key": "secret"})
    assert "secret" not in str(raised.value)


def test_an_unreachable_server_fails_after_retries() -> None:
    with replay_server() as gone:
        url = gone.url("/api")
    with PoliteClient(FAST) as client, pytest.raises(SourceError, match="ConnectError"):
        client.get_json(url)
