"""Named locks across processes and hosts: PostgreSQL session advisory locks."""

from __future__ import annotations

from schema.database import Connection

_KEY = "hashtextextended('jobmatch.task.' || %(name)s, 0)"


def try_lock(conn: Connection, name: str) -> bool:
    """Take the lock `name` for this session if nobody holds it; True when taken.

    It is released when the session ends, so a process that dies never leaves it held.
    """
    row = conn.execute(f"SELECT pg_try_advisory_lock({_KEY})", {"name": name}).fetchone()
    return bool(row and row[0])


def lock_is_held(conn: Connection, name: str) -> bool:
    """Whether any session holds the lock `name` (looked up, never taken)."""
    # pg_locks shows a bigint advisory key as its high and low 32 bits.
    row = conn.execute(
        f"WITH k AS (SELECT {_KEY} AS key)"
        " SELECT EXISTS (SELECT 1 FROM pg_locks l, k WHERE l.locktype = 'advisory'"
        "  AND l.granted AND l.objsubid = 1"
        "  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        "  AND l.classid = ((k.key >> 32) & 4294967295)::oid"
        "  AND l.objid = (k.key & 4294967295)::oid)",
        {"name": name},
    ).fetchone()
    return bool(row and row[0])
