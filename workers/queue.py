"""The Huey instance, made from settings when a door starts (never at import).

PostgreSQL by default: `PostgresHuey` on the product's own database, its tables made by
migration 003 (so `create_tables=False`), each connection opened when the queue first
needs one. Redis when `JOBMATCH_QUEUE_URL=redis://…`; `JOBMATCH_QUEUE_URL=immediate`
runs tasks in the caller's process (development and tests).
"""

from __future__ import annotations

import psycopg
from huey import Huey, PostgresHuey, RedisHuey

from schema.database import CONNECT_TIMEOUT_S
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
        QUEUE_NAME, connection=connect, create_tables=False, table_prefix=TABLE_PREFIX, utc=True
    )
