"""The API's database connections: checked when handed out, failing fast through an
outage, healing as soon as the database answers, and never stalling the event loop.

- A connection is checked when handed out (`is_stale`: no round trip, so the loop may
  do it); after a restart every idle connection is stale, and all are dropped at once.
- Once a request finds the database unreachable, the gate is *down*: requests answer
  503 at once, except one at a time that probes with a fresh connection (refused within
  milliseconds while the server is stopped). The first probe that connects opens the
  gate, and that request is served. A request that waited `POOL_TIMEOUT_S` for a
  connection while the pulse still gets answers (every connection busy: an overload)
  gets its own 503, and the gate stays open.
- The server cancels any statement after `STATEMENT_TIMEOUT_MS`; a database that stops
  answering altogether (paused, network gone) cannot cancel anything, so a watchdog
  thread cuts the socket of a query still running after `HUNG_AFTER_S`, or after
  `HUNG_WHILE_SILENT_S` once the pulse (`server.pulse`) gets no answer either.
- No round trip runs on the event loop: waiting for a connection, probing and every
  statement of a request run on worker threads (the loop only takes an idle connection
  that is ready, and gives back one that needs no rollback), so a database that stops
  answering holds the requests that use it, never `/health` or a page without SQL.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable

import anyio.to_thread
import psycopg
from litestar.datastructures import State
from psycopg import pq
from psycopg_pool import ConnectionPool, PoolTimeout

from schema.database import Connection, is_stale, open_pool, with_statement_timeout
from server.pulse import Pulse

log = logging.getLogger("jobmatch.api")
POOL_TIMEOUT_S = 2.0  # how long a request waits for a connection before its 503
PROBE_CONNECT_TIMEOUT_S = 2  # libpq's smallest connect timeout
STATEMENT_TIMEOUT_MS = 5_000
HUNG_AFTER_S = 8.0
# While the pulse gets no answer either, the server is silent, not slow: cut sooner,
# so the requests holding connections (and worker threads) answer 503, not wait.
HUNG_WHILE_SILENT_S = 2.0
WATCH_EVERY_S = 0.5
RETRY_AFTER_S = 2
BUSY = "every database connection is busy"


class DatabaseUnavailableError(RuntimeError):
    """The database cannot be reached now; the client should retry shortly."""


class Watchdog:
    """Cuts the socket of any watched connection busy on one query for too long.

    The blocked thread then gets an error at once (and the connection is discarded)
    instead of waiting for a server that may never answer. `server_silent` (the pulse,
    set by `Database`) says when to use the shorter `HUNG_WHILE_SILENT_S`.
    """

    def __init__(self, hung_after_s: float = HUNG_AFTER_S) -> None:
        self._hung_after_s = hung_after_s
        self.server_silent: Callable[[], bool] = lambda: False
        self._connections: weakref.WeakSet[Connection] = weakref.WeakSet()
        self._busy_since: weakref.WeakKeyDictionary[Connection, float] = weakref.WeakKeyDictionary()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="db-watchdog", daemon=True)
        self._thread.start()

    def watch(self, conn: Connection) -> None:
        """Watch `conn` for as long as it lives."""
        self._connections.add(conn)

    def close(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(WATCH_EVERY_S):
            now = time.monotonic()
            limit = HUNG_WHILE_SILENT_S if self.server_silent() else self._hung_after_s
            for conn in list(self._connections):
                self._inspect(conn, now, limit)

    def _inspect(self, conn: Connection, now: float, limit: float) -> None:
        # Reading the status from another thread is a plain field read in libpq.
        if conn.closed or conn.pgconn.transaction_status != pq.TransactionStatus.ACTIVE:
            self._busy_since.pop(conn, None)
            return
        since = self._busy_since.setdefault(conn, now)
        if now - since >= limit:
            log.warning("database: no answer for %.0f s; cutting the connection", now - since)
            self._busy_since.pop(conn, None)
            _shut_down(conn)


def _shut_down(conn: Connection) -> None:
    """Shut the connection's socket down under its blocked reader (a copy of the file
    descriptor is shut and closed; the connection's own one stays until it is closed)."""
    try:
        with socket.socket(fileno=socket.dup(conn.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, psycopg.Error):
        pass


class Database:
    """The API's pool behind the gate described in the module docstring."""

    def __init__(self, url: str, pool_size: int) -> None:
        # Every session this API opens (the pool's, the pulse's, a probe's, the token
        # listener's, the task queue's) has the statement timeout.
        self.url = with_statement_timeout(url, STATEMENT_TIMEOUT_MS)
        self.watchdog = Watchdog()
        self.pool: ConnectionPool = open_pool(
            self.url,
            min_size=min(2, pool_size),
            max_size=pool_size,
            configure=self.watchdog.watch,
            # Failed replacements are given up quickly, so the next request starts a
            # fresh attempt at once rather than waiting out a growing back-off.
            reconnect_timeout_s=POOL_TIMEOUT_S,
        )
        self._lock = threading.Lock()
        self._down = False
        self._probing = False
        self.pulse = Pulse(
            url, watch=self.watchdog.watch, on_down=self.mark_down, on_up=self._pulse_answered
        )
        self.watchdog.server_silent = lambda: self.pulse.problem() is not None

    @property
    def down(self) -> bool:
        return self._down

    def mark_down(self) -> None:
        """Close the gate: a request found the database unreachable."""
        if not self._down:
            log.error("database unreachable; answering 503 until it is back")
        self._down = True

    def problem(self) -> str | None:
        """What `/health` reports (None: reachable), from memory: the gate, or the pulse."""
        return "database unreachable" if self._down else self.pulse.problem()

    def _pulse_answered(self) -> None:
        """Reopen the gate once the pulse gets through, the broken connections dropped."""
        if self._down:
            self.pool.check()
            log.warning("database reachable again")
            self._down = False

    def ready_connection(self) -> Connection | None:
        """An idle, live connection without waiting (for the event loop), else None."""
        if self._down:
            return None
        while True:
            try:
                conn = self.pool.getconn(timeout=0.001)
            except PoolTimeout:
                return None
            if not is_stale(conn):
                return conn
            # Dropping the others means round trips: left to `connection`, on a thread.
            conn.close()
            self.pool.putconn(conn)
            return None

    def connection(self) -> Connection:
        """A checked connection, waiting at most `POOL_TIMEOUT_S` (on a worker thread).

        Raises `DatabaseUnavailableError` at once while the gate is down and another
        request is probing, or when this request's probe or wait fails.
        """
        with self._lock:
            probe = self._down and not self._probing
            if self._down and not probe:
                raise DatabaseUnavailableError("the database is unreachable")
            self._probing = self._probing or probe
        try:
            if probe:
                self._probe()
            conn = self._checked(time.monotonic() + POOL_TIMEOUT_S)
        except PoolTimeout as error:
            if self.pulse.problem() is None:
                # Every connection is busy (an overload), yet the server answers the
                # pulse: this request's 503 only; closing the gate would refuse all.
                raise DatabaseUnavailableError(BUSY) from error
            self.mark_down()
            raise DatabaseUnavailableError("the database is unreachable") from error
        except psycopg.OperationalError as error:
            self.mark_down()
            raise DatabaseUnavailableError("the database is unreachable") from error
        finally:
            if probe:
                self._probing = False
        if self._down:
            log.warning("database reachable again")
            self._down = False
            self.pulse.answered()
        return conn

    def release(self, conn: Connection) -> None:
        """Give a connection back (a broken one is replaced by the pool)."""
        self.pool.putconn(conn)

    def close(self) -> None:
        self.pulse.close()
        self.watchdog.close()
        self.pool.close()

    def _probe(self) -> None:
        """One fresh connection and a round trip; raises when the server does not answer."""
        with psycopg.connect(self.url, connect_timeout=PROBE_CONNECT_TIMEOUT_S) as conn:
            conn.execute("SELECT 1")
        self.pool.check()  # drop every connection the outage broke, in one pass

    def _checked(self, deadline: float) -> Connection:
        while True:
            conn = self.pool.getconn(timeout=max(0.001, deadline - time.monotonic()))
            if not is_stale(conn):
                return conn
            self._discard_stale(conn)

    def _discard_stale(self, conn: Connection) -> None:
        """Close a stale connection and the other idle ones: after a restart, all are."""
        conn.close()
        self.pool.putconn(conn)
        self.pool.check()


def open_database(url: str, pool_size: int) -> Database:
    """The API's `Database` on `url` (blocking: call it from a worker thread)."""
    return Database(url, pool_size)


async def provide_db(state: State) -> AsyncIterator[Connection]:
    """A checked connection for one request, in autocommit (writes group their own
    transactions), returned when the response is done; 503 while the database is down."""
    database: Database = state.database
    conn = database.ready_connection()
    if conn is None:
        conn = await anyio.to_thread.run_sync(database.connection)
    try:
        conn.autocommit = True
        yield conn
    finally:
        if conn.info.transaction_status == pq.TransactionStatus.IDLE or conn.broken:
            database.release(conn)
        else:  # a rollback is a round trip: not on the loop
            await anyio.to_thread.run_sync(database.release, conn)
