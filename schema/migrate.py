"""The migration runner: applies `schema/migrations/NNN_name.sql` in order, one transaction each."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schema.database import Connection, connect, describe, scratch_server
from schema.errors import DatabaseError

# Any constant will do: it makes concurrent `migrate` runs (API and worker starting
# together) take turns instead of racing to apply the same file.
_MIGRATION_LOCK = 7_245_001


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    """Every migration shipped with the package, in file-name order."""
    folder = resources.files("schema") / "migrations"
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )
    return [Migration(entry.name, entry.read_text(encoding="utf-8")) for entry in files]


def applied_migrations(conn: Connection) -> list[str]:
    """Names of the applied migrations; empty on a database never migrated."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    rows = conn.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    return [str(row[0]) for row in rows]


def pending_migrations(conn: Connection) -> list[str]:
    """Names of the migrations this code has that the database lacks, in order."""
    applied = set(applied_migrations(conn))
    return [m.name for m in available_migrations() if m.name not in applied]


def migrate(url: str) -> list[str]:
    """Apply every pending migration and return the names applied (empty when up to date)."""
    conn = connect(url, vectors=False)
    try:
        conn.autocommit = True
        conn.execute("SELECT pg_advisory_lock(%(key)s)", {"key": _MIGRATION_LOCK})
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = set(applied_migrations(conn))
        pending = [m for m in available_migrations() if m.name not in done]
        for migration in pending:
            _apply(conn, migration, url)
        return [m.name for m in pending]
    finally:
        conn.close()


def _apply(conn: Connection, migration: Migration, url: str) -> None:
    try:
        with conn.transaction():
            conn.execute(migration.sql.encode())
            conn.execute(
                "INSERT INTO schema_migrations (name) VALUES (%(name)s)", {"name": migration.name}
            )
    except (psycopg.errors.FeatureNotSupported, psycopg.errors.UndefinedFile) as error:
        if "vector" in str(error):
            raise DatabaseError(
                f"the server at {describe(url)} has no pgvector extension; install pgvector "
                "on it (the pgvector/pgvector images have it) or unset DATABASE_URL to use "
                "the embedded server"
            ) from error
        raise DatabaseError(f"migration {migration.name} failed: {error}") from error
    except psycopg.errors.InsufficientPrivilege as error:
        raise DatabaseError(
            f"migration {migration.name} needs more privileges on {describe(url)}: {error}"
        ) from error


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A migrated, empty database for one benchmark run on a `scratch_server`, dropped
    afterwards (one left by a killed run is dropped first)."""
    with scratch_server(prefix) as server:
        name = f"jobmatch_bench_{os.getpid()}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
        url = make_conninfo("", **{**conninfo_to_dict(server), "dbname": name})
        try:
            migrate(url)
            yield url
        finally:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
