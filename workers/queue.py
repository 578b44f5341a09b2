"""The Huey instance, made from settings when a door starts (never at import).

PostgreSQL by default: `PostgresHuey` on the product's own database, its tables made by
migration 003 (so `create_tables=False`), each connection opened when the queue first
needs one. Redis when `JOBMATCH_QUEUE_URL=redis://…`; `JOBMATCH_QUEUE_URL=immediate`
runs tasks in the caller's process (development and tests).
"""

from __future__ import annotations

from typing import Any

import psycopg
from huey import Huey, PostgresHuey, RedisHuey
from huey.storage import PostgresStorage

from schema.database import CONNECT_TIMEOUT_S, is_stale
from workers.settings import Settings, SettingsError

QUEUE_NAME = "jobmatch"
TABLE_PREFIX = "huey"


def create_huey(settings: Settings, database_url: str) -> Huey:
    """The queue `JOBMATCH_QUEUE_URL` asks for, on `database_url` unless it names Redis."""
    queue_url = settings.queue_url
    if queue_url == "immediate":
        return PostgresHuey(QUEUE_NAME, immediate=True, create_tables=False)
    if queue_url and queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(QUEUE_NAME, url=queue_url, utc=True)
    if queue_url:
        raise SettingsError(
            f"JOBMATCH_QUEUE_URL must be redis://…, rediss://…, unix://… or 'immediate', "
            f"got {queue_url!r}; unset it to queue tasks in PostgreSQL"
        )

    def connect() -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(database_url, connect_timeout=CONNECT_TIMEOUT_S)

    return PostgresHuey(
        QUEUE_NAME,
        connection=connect,
        create_tables=False,
        table_prefix=TABLE_PREFIX,
        utc=True,
        storage_class=HealingPostgresStorage,
    )


class HealingPostgresStorage(PostgresStorage):  # type: ignore[misc]
    """Huey's PostgreSQL storage, with its shared connection checked before each use.

    Huey keeps one connection and only learns it is dead by failing on it, so after a
    database restart the first enqueue was lost. Here a connection the server has ended
    (`is_stale`) is replaced before it is used, and an enqueue that still meets a
    dropped connection is tried once more on a fresh one.
    """

    _conn: Any

    @property
    def conn(self) -> Any:
        if self._conn is not None and is_stale(self._conn):
            self._close_quiet(self._conn)
            self._conn = None
        return super().conn

    def enqueue(self, data: bytes, priority: float | None = None) -> None:
        try:
            super().enqueue(data, priority)
        except psycopg.OperationalError:
            super().enqueue(data, priority)
