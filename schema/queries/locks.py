"""Named locks across processes and hosts: PostgreSQL session advisory locks."""

from __future__ import annotations

from schema.database import Connection


def try_lock(conn: Connection, name: str) -> bool:
    """Take the lock `name` for this session if nobody holds it; True when taken.

    It is released when the session ends, so a process that dies never leaves it held.
    """
    row = conn.execute(
        "SELECT pg_try_advisory_lock(hashtextextended(%(name)s, 0))",
        {"name": f"jobmatch.task.{name}"},
    ).fetchone()
    return bool(row and row[0])
