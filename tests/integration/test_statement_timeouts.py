"""Every statement the API sends has a timeout: the pool's sessions and every other
session it opens (pulse, probe, token listener, task queue) are made with it, and the
server cancels a statement that runs past it."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from litestar.testing import TestClient
from psycopg.conninfo import make_conninfo

from schema.database import with_statement_timeout
from server.app import create_app
from server.db import STATEMENT_TIMEOUT_MS, Database
from tests.fakes import FakeEmbedder
from workers.settings import Settings


def _setting(url: str, name: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SHOW {name}").fetchone()
    assert row is not None
    return str(row[0])


def test_every_session_of_the_api_has_the_statement_timeout(db_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path), database_url=db_url, embedder=FakeEmbedder())
    with TestClient(app) as client:
        assert client.get("/api/v1/health").status_code == 200
        database: Database = client.app.state.database
        expected = f"{STATEMENT_TIMEOUT_MS // 1000}s"
        conn = database.connection()  # what a request gets
        try:
            row = conn.execute("SHOW statement_timeout").fetchone()
            assert row is not None
            assert row[0] == expected
        finally:
            database.release(conn)
        # The pulse, a probe and the token listener connect with `database.url`; the
        # task queue with its own copy of it.
        assert _setting(database.url, "statement_timeout") == expected
        assert client.app.state.queue.url == database.url


def test_a_statement_past_the_timeout_is_cancelled(db_url: str) -> None:
    with (
        psycopg.connect(with_statement_timeout(db_url, 200)) as conn,
        pytest.raises(psycopg.errors.QueryCanceled),
    ):
        conn.execute("SELECT pg_sleep(2)")


def test_the_timeout_keeps_the_options_a_url_sets(db_url: str) -> None:
    url = with_statement_timeout(make_conninfo(db_url, options="-c lock_timeout=1234"), 300)
    assert _setting(url, "lock_timeout") == "1234ms"
    assert _setting(url, "statement_timeout") == "300ms"
