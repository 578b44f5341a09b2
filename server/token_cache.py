"""Users of recently seen bearer tokens, and revocations that every process has heard
before they return.

A busy frontend would otherwise cost a token lookup (and a hand-off to a thread) per
request. A cached token must still stop working the moment it is revoked, in every API
process, without a round trip per request to ask. So a revocation waits for them:

- each process listens on its own connection, registered in `token_listeners`;
- `revoke` commits the deletion with a numbered `NOTIFY`, then waits until every live
  listener has emptied its cache and acknowledged that number (a few milliseconds);
- a listener that does not answer within `ACK_TIMEOUT_S` (its process frozen, its link
  half dead) has its session ended; and a cache serves nothing unless its listener
  was awake within `AWAKE_S` (less than that wait), so a process that resumes after
  being frozen asks the database before it trusts its cache.

While a process is not listening (an outage), nothing is served from its cache, and
the cache starts empty when it listens again.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg

from schema.database import CONNECT_TIMEOUT_S, Connection
from schema.queries.token_listeners import (
    acknowledge,
    cut_listeners,
    deaf_listeners,
    start_listening,
)
from schema.queries.users import User, revoke_tokens

log = logging.getLogger("jobmatch.api")
TTL_S = 60.0
MAX_ENTRIES = 10_000
LISTEN_WAKE_S = 0.25  # the listener wakes at least this often, even with nothing to hear
AWAKE_S = 1.0
ACK_TIMEOUT_S = 2.0


class TokenCache:
    """token → user for `TTL_S`, valid only while this process hears revocations."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._entries: dict[str, tuple[float, User]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # bumped on every revocation heard (and every reconnect)
        self._listening = False
        self._awake_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="token-revocations", daemon=True)
        self._thread.start()

    @property
    def generation(self) -> int:
        """Read before a lookup and handed to `put`, so a lookup that raced with a
        revocation is not cached."""
        return self._generation

    @property
    def serving(self) -> bool:
        """Whether cached entries may be used: listening, and awake recently."""
        return self._listening and time.monotonic() - self._awake_at <= AWAKE_S

    def get(self, token: str) -> User | None:
        if not self.serving:
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
                    start_listening(conn)
                    self.forget_all()  # anything revoked while deaf is forgotten
                    self._listening = True
                    self._hear(conn)
            except Exception as error:  # the thread must outlive any failure
                log.debug("token revocations: %s", error)
            finally:
                self._listening = False
                self.forget_all()
            self._stop.wait(1.0)

    def _hear(self, conn: Connection) -> None:
        # Nothing else runs on this connection: every notification is read here. The
        # acknowledgement is sent after the generator is done (it holds the connection).
        while not self._stop.is_set():
            self._awake_at = time.monotonic()
            heard = [n.payload for n in conn.notifies(timeout=LISTEN_WAKE_S, stop_after=1)]
            if heard:  # a dead connection raised above instead
                self.forget_all()
                acknowledge(conn, max(int(payload or 0) for payload in heard))


def revoke_everywhere(
    conn: Connection, cache: TokenCache, user_id: int, token_id: int | None = None
) -> bool:
    """Revoke the user's token `token_id` (or all), returning once every API process has
    forgotten it; False when the user has no such token. Blocking: call it on a thread."""
    number = revoke_tokens(conn, user_id, token_id)
    if number is None:
        return False
    cache.forget_all()
    deadline = time.monotonic() + ACK_TIMEOUT_S
    pause = 0.001
    while deaf := deaf_listeners(conn, number):
        if time.monotonic() > deadline:
            log.warning("token revocation: %d listener(s) did not answer; cutting them", len(deaf))
            cut_listeners(conn, deaf)
            break
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    return True
