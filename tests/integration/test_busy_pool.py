"""A pool with every connection busy is an overload, not an outage: the request that
waited too long gets its 503, and the gate stays open for the others."""

from __future__ import annotations

import pytest

from server.db import DatabaseUnavailableError, open_database


def test_a_busy_pool_refuses_one_request_and_keeps_the_gate_open(db_url: str) -> None:
    database = open_database(db_url, pool_size=1)
    try:
        held = database.connection()
        try:
            with pytest.raises(DatabaseUnavailableError, match="busy"):
                database.connection()
            assert not database.down
            assert database.problem() is None  # /health still says ok
        finally:
            database.release(held)
        conn = database.connection()  # served at once once a connection is free
        database.release(conn)
    finally:
        database.close()
