"""A revocation returns only once every listening API process has forgotten its cached
tokens: it waits for each live listener's acknowledgement, and ends the session of one
that does not answer, so a frozen process cannot serve a revoked token from its cache."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

from schema.database import Connection
from schema.queries.token_listeners import deaf_listeners, start_listening
from schema.queries.users import create_user, issue_token_with_id, revoke_tokens
from server.token_cache import ACK_TIMEOUT_S, TokenCache, revoke_everywhere


@pytest.fixture
def cache(db_url: str) -> Iterator[TokenCache]:
    """A listening cache, as each API process has."""
    listening = TokenCache(db_url)
    deadline = time.monotonic() + 10
    while not listening.serving:
        assert time.monotonic() < deadline, "the token cache never started listening"
        time.sleep(0.05)
    yield listening
    listening.close()


def _live_listeners(conn: Connection) -> set[int]:
    """Backend pids of the live listening sessions."""
    rows = conn.execute(
        "SELECT l.pid FROM token_listeners l JOIN pg_stat_activity a"
        " ON a.pid = l.pid AND a.backend_start = l.backend_start"
    ).fetchall()
    return {int(str(row[0])) for row in rows}


def test_a_revocation_waits_for_a_deaf_listener_then_cuts_it(
    conn: Connection, db_url: str, cache: TokenCache
) -> None:
    user = create_user(conn, "a@example.com")
    assert user is not None
    token_id, _ = issue_token_with_id(conn, user.id)
    (own,) = _live_listeners(conn)
    with psycopg.connect(db_url, autocommit=True) as deaf:
        start_listening(deaf)  # registered, but never acknowledges anything
        assert _live_listeners(conn) == {own, deaf.info.backend_pid}
        started = time.monotonic()
        assert revoke_everywhere(conn, cache, user.id, token_id)
        assert time.monotonic() - started >= ACK_TIMEOUT_S
        with pytest.raises(psycopg.OperationalError):
            deaf.execute("SELECT 1")
    assert _live_listeners(conn) == {own}  # the cache's listener answered: not cut
    assert cache.serving
    assert not revoke_everywhere(conn, cache, user.id, token_id)  # nothing left to revoke


def test_a_listener_that_starts_after_a_revocation_owes_no_answer(
    conn: Connection, db_url: str
) -> None:
    user = create_user(conn, "b@example.com")
    assert user is not None
    issue_token_with_id(conn, user.id)
    number = revoke_tokens(conn, user.id)
    assert number is not None
    with psycopg.connect(db_url, autocommit=True) as late:
        start_listening(late)
        assert deaf_listeners(conn, number) == []
        assert deaf_listeners(conn, number + 1) == [late.info.backend_pid]


def test_every_listener_answers_a_revocation(
    conn: Connection, db_url: str, cache: TokenCache
) -> None:
    others = [TokenCache(db_url) for _ in range(2)]
    try:
        while not all(other.serving for other in others):
            time.sleep(0.05)
        user = create_user(conn, "c@example.com")
        assert user is not None
        issue_token_with_id(conn, user.id)
        before = _live_listeners(conn)
        assert len(before) == 3
        assert revoke_everywhere(conn, cache, user.id)
        assert _live_listeners(conn) == before  # all answered; none was cut
    finally:
        for other in others:
            other.close()
