"""Users of recently seen bearer tokens, forgotten the moment any process revokes one.

A busy frontend would otherwise cost a token lookup (and a hand-off to a thread) per
request. Revoking commits a `NOTIFY` on `CHANNEL` with the deletion; every API process
listens on its own connection and empties its cache on each one. While that connection
is down (an outage), notifications may be missed, so nothing is served from the cache
until it listens again, and the cache starts empty then.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg

from schema.database import CONNECT_TIMEOUT_S
from schema.queries.users import TOKENS_CHANNEL, User

log = logging.getLogger("jobmatch.api")
TTL_S = 60.0
MAX_ENTRIES = 10_000


class TokenCache:
    """token → user for `TTL_S`, valid only while this process hears revocations."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._entries: dict[str, tuple[float, User]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # bumped on every revocation heard (and every reconnect)
        self._listening = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="token-revocations", daemon=True)
        self._thread.start()

    @property
    def generation(self) -> int:
        """Read before a lookup and handed to `put`, so a lookup that raced with a
        revocation is not cached."""
        return self._generation

    def get(self, token: str) -> User | None:
        if not self._listening:
            return None
        entry = self._entries.get(token)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, token: str, user: User, generation: int) -> None:
        with self._lock:
            if generation != self._generation or not self._listening:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()  # rare; a cold minute is cheaper than an LRU per hit
            self._entries[token] = (time.monotonic() + TTL_S, user)

    def forget_all(self) -> None:
        """Empty the cache (a revocation was made or heard)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
                ) as conn:
                    conn.execute(f"LISTEN {TOKENS_CHANNEL}")
                    self.forget_all()  # anything revoked while deaf is forgotten
                    self._listening = True
                    self._hear(conn)
            except Exception as error:  # the thread must outlive any failure
                log.debug("token revocations: %s", error)
            finally:
                self._listening = False
                self.forget_all()
            self._stop.wait(1.0)

    def _hear(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        # Nothing else runs on this connection: every notification is read here.
        while not self._stop.is_set():
            for _ in conn.notifies(timeout=1.0):  # a dead connection raises here
                self.forget_all()
