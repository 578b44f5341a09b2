"""Rate limits per client IP and per account, shared by every API process.

Each limit allows `count` attempts per `period_s` (a burst of `count`, then one every
`period_s / count`); the state lives in PostgreSQL, so N API processes enforce one limit
together, not N. A refusal is a 429 with `Retry-After`. Doors call `Throttle.hit` with a
`Limit` and a subject from `ip_of` or `account_of`:

    throttle.hit(db, LIMITS.sign_in_per_ip, ip_of(request))
    throttle.hit(db, LIMITS.sign_in_per_account, account_of(email))
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException

from schema.database import Connection
from schema.queries.throttle import forget_expired, take
from server.db import Database

FORGET_EVERY = 1000  # attempts between deletions of expired keys, per process


@dataclass(frozen=True)
class Limit:
    """`count` attempts per `period_s` seconds, counted per subject under `name`."""

    name: str
    count: int
    period_s: float


@dataclass(frozen=True)
class Limits:
    """The API's limits (the web app's sign-in uses the `sign_in_*` ones)."""

    sign_up_per_ip: Limit = Limit("sign-up/ip", 10, 3600)
    sign_up_per_account: Limit = Limit("sign-up/account", 3, 3600)
    sign_in_per_ip: Limit = Limit("sign-in/ip", 30, 600)
    sign_in_per_account: Limit = Limit("sign-in/account", 10, 600)
    bad_token_per_ip: Limit = Limit("bad-token/ip", 20, 60)


LIMITS = Limits()


def ip_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client's address (behind a proxy, as uvicorn's --forwarded-allow-ips sets it)."""
    return connection.client.host if connection.client else "unknown"


def account_of(email: str) -> str:
    """An account's subject: a digest of the normalised e-mail (none stored in clear)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


class Throttle:
    """Counts attempts in the database; remembers refusals in this process, so a
    client over a limit is refused again without a database write until it may retry."""

    def __init__(self, limits: Limits = LIMITS) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._refused_until: dict[str, float] = {}
        self._hits = 0

    def check(self, limit: Limit, subject: str) -> None:
        """429 if `subject` was refused under `limit` here and may not retry yet."""
        until = self._refused_until.get(f"{limit.name}:{subject}")
        if until is not None and (wait := until - time.monotonic()) > 0:
            raise _too_many(limit, wait)

    def hit(self, conn: Connection, limit: Limit, subject: str) -> None:
        """Count one attempt by `subject`; 429 with `Retry-After` when over `limit`."""
        self.check(limit, subject)
        key = f"{limit.name}:{subject}"
        wait = take(conn, key, limit.period_s / limit.count, limit.period_s)
        self._tidy(conn)
        if wait is not None:
            with self._lock:
                if len(self._refused_until) > 10_000:
                    self._refused_until.clear()
                self._refused_until[key] = time.monotonic() + wait
            raise _too_many(limit, wait)

    def hit_pooled(self, database: Database, limit: Limit, subject: str) -> None:
        """`hit` on a connection of `database`'s pool (for guards, which get none);
        blocking, so on a worker thread."""
        conn = database.connection()
        try:
            conn.autocommit = True
            self.hit(conn, limit, subject)
        finally:
            database.release(conn)

    def _tidy(self, conn: Connection) -> None:
        with self._lock:
            self._hits += 1
            due = self._hits % FORGET_EVERY == 0
        if due:
            forget_expired(conn)


def _too_many(limit: Limit, wait_s: float) -> TooManyRequestsException:
    seconds = max(1, math.ceil(wait_s))
    return TooManyRequestsException(
        f"too many attempts ({limit.name}); try again in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )
