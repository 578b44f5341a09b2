"""Who must hear a token revocation before it returns: each API process's listening
session (`token_listeners`) and the revocations it has acted on (migration 016)."""

from __future__ import annotations

from schema.database import Connection

# Every API process listens here and forgets the tokens it cached (server/token_cache.py).
TOKENS_CHANNEL = "jobmatch_tokens_revoked"
_LIVE = "JOIN pg_stat_activity a ON a.pid = l.pid AND a.backend_start = l.backend_start"


def start_listening(conn: Connection) -> None:
    """LISTEN, and record this session as a listener that has heard every revocation
    committed so far, in one transaction: the row lock on the counter orders it
    against a revocation in progress (which then waits for this session's answer, or
    committed first and needs none)."""
    with conn.transaction():
        conn.execute(f"LISTEN {TOKENS_CHANNEL}")
        row = conn.execute("SELECT n FROM token_revocations WHERE id = 1 FOR SHARE").fetchone()
        assert row is not None
        conn.execute(
            "DELETE FROM token_listeners l WHERE NOT EXISTS"
            " (SELECT 1 FROM pg_stat_activity a"
            "  WHERE a.pid = l.pid AND a.backend_start = l.backend_start)"
        )
        conn.execute(
            "INSERT INTO token_listeners (pid, backend_start, heard)"
            " SELECT pid, backend_start, %(n)s FROM pg_stat_activity"
            " WHERE pid = pg_backend_pid()",
            {"n": row[0]},
        )


def acknowledge(conn: Connection, number: int) -> None:
    """This listening session has acted on revocation `number` (and all before it)."""
    conn.execute(
        "UPDATE token_listeners SET heard = greatest(heard, %(n)s)"
        " WHERE pid = pg_backend_pid()"
        "  AND backend_start = (SELECT backend_start FROM pg_stat_activity"
        "   WHERE pid = pg_backend_pid())",
        {"n": number},
    )


def announce_revocation(conn: Connection) -> int:
    """Number a revocation and notify every listener (call inside the revoking
    transaction: both take effect at its commit); the revocation's number."""
    row = conn.execute("UPDATE token_revocations SET n = n + 1 WHERE id = 1 RETURNING n").fetchone()
    assert row is not None
    number = int(str(row[0]))
    conn.execute(
        "SELECT pg_notify(%(channel)s, %(n)s)", {"channel": TOKENS_CHANNEL, "n": str(number)}
    )
    return number


def deaf_listeners(conn: Connection, number: int) -> list[int]:
    """Backend pids of live listening sessions that have not acted on `number` yet."""
    rows = conn.execute(
        f"SELECT l.pid FROM token_listeners l {_LIVE} WHERE l.heard < %(n)s",
        {"n": number},
    ).fetchall()
    return [int(str(row[0])) for row in rows]


def cut_listeners(conn: Connection, pids: list[int]) -> None:
    """End these listening sessions: their processes stop serving from their caches."""
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM unnest(%(pids)s::int[]) AS pid", {"pids": pids}
    )
