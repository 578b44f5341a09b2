"""Row counts and the migration level, for `jobmatch status` and `GET /admin/status`."""

from __future__ import annotations

from psycopg import sql

from schema.database import Connection
from schema.migrate import applied_migrations, pending_migrations


def table_row_counts(conn: Connection) -> dict[str, int]:
    """Exact row counts of every table and view in the current schema, by name."""
    tables = conn.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() ORDER BY table_name"
    ).fetchall()
    counts: dict[str, int] = {}
    for (name,) in tables:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(str(name)))
        row = conn.execute(query).fetchone()
        counts[str(name)] = int(str(row[0])) if row else 0
    return counts


def migration_level(conn: Connection) -> dict[str, object]:
    """Applied and pending migration names."""
    applied = applied_migrations(conn)
    pending = pending_migrations(conn)
    return {"applied": applied, "pending": pending, "current": applied[-1] if applied else None}
