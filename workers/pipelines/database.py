"""The database every door opens: located, started if embedded, and at the code's level.

Each door (the CLI, the API, the worker) calls `ready_database_url` once at its start. The
embedded server is this installation's own, so it is migrated on first use; a server in
`DATABASE_URL` is the operator's, so a missing migration stops the door with one line
saying to run `jobmatch migrate`.
"""

from __future__ import annotations

from schema.database import connection, describe, resolve_database_url
from schema.errors import DatabaseError
from schema.migrate import migrate, pending_migrations
from workers.settings import Settings


def ready_database_url(settings: Settings) -> str:
    """The URL of a database with every migration applied (see the module docstring)."""
    url = resolve_database_url(settings.database_url, settings.pgdata)
    if settings.database_url is None:
        migrate(url)
        return url
    with connection(url, vectors=False) as conn:
        pending = pending_migrations(conn)
    if pending:
        raise DatabaseError(
            f"the database at {describe(url)} lacks {len(pending)} migration(s) "
            f"({pending[0]} first); run `jobmatch migrate`"
        )
    return url
