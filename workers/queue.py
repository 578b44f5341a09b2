"""The Huey instance (module level, as the consumer needs) and the task lock.

PostgreSQL by default: `PostgresHuey` on the product's own database, its tables made by
migration 004 (so `create_tables=False`), its connection opened on first use through a
zero-argument callable — importing this module connects to nothing. Redis when
`JOBMATCH_QUEUE_URL=redis://…`; `JOBMATCH_QUEUE_URL=immediate` runs tasks in the
caller's process (development and tests; `huey.immediate = True` does the same).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from huey import Huey, PostgresHuey, RedisHuey
from huey.exceptions import TaskLockedException

from schema.database import CONNECT_TIMEOUT_S, connect, resolve_database_url
from schema.queries.locks import try_lock
from workers.settings import Settings, SettingsError

QUEUE_NAME = "jobmatch"
TABLE_PREFIX = "huey"

_configured: dict[str, str] = {}  # "url" when pinned; a dict so no `global` is needed
_resolved: dict[tuple[str | None, str], str] = {}
_resolve_lock = threading.Lock()


def configure(database_url: str | None) -> None:
    """Pin the database the tasks (and the Postgres queue) use; None to go back to the
    environment. `jobmatch worker` calls this with the URL it resolved."""
    if database_url:
        _configured["url"] = database_url
    else:
        _configured.pop("url", None)


def database_url() -> str:
    """The database of this process: the configured one, else `DATABASE_URL`, else the
    embedded server (started or joined once per process)."""
    if "url" in _configured:
        return _configured["url"]
    settings = Settings.from_env()
    key = (settings.database_url, str(settings.pgdata))
    with _resolve_lock:
        if key not in _resolved:
            _resolved[key] = resolve_database_url(settings.database_url, settings.pgdata)
        return _resolved[key]


def _queue_connection() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(database_url(), connect_timeout=CONNECT_TIMEOUT_S)


def create_huey(queue_url: str | None) -> Huey:
    """The queue `JOBMATCH_QUEUE_URL` asks for (see the module docstring)."""
    if queue_url == "immediate":
        return PostgresHuey(QUEUE_NAME, immediate=True, create_tables=False)
    if queue_url and queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(QUEUE_NAME, url=queue_url, utc=True)
    if queue_url:
        raise SettingsError(
            f"JOBMATCH_QUEUE_URL must be redis://…, rediss://…, unix://… or 'immediate', "
            f"got {queue_url!r}; unset it to queue tasks in PostgreSQL"
        )
    return PostgresHuey(
        QUEUE_NAME,
        connection=_queue_connection,
        create_tables=False,
        table_prefix=TABLE_PREFIX,
        utc=True,
    )


huey = create_huey(Settings.from_env().queue_url)


@contextmanager
def task_lock(url: str, name: str) -> Iterator[None]:
    """Hold a lock named `name` for the block, or raise `TaskLockedException` at once.

    A PostgreSQL session advisory lock rather than a Huey key: it works with either
    queue, and a worker that dies mid-task releases it with its connection, so a crash
    never leaves a periodic task locked out for good.
    """
    conn = connect(url, vectors=False)
    conn.autocommit = True
    try:
        if not try_lock(conn, name):
            raise TaskLockedException(f"{name} is already running")
        yield
    finally:
        conn.close()  # closing the session releases its advisory locks
