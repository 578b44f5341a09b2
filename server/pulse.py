"""The database's pulse: a round trip every `EVERY_S` on a connection of its own, so that
`GET /health` answers from memory, costs no connection or thread, and cannot be stalled.

What it reports is at most `STALE_S` old: a round trip slower than `SLOW_S` counts as
"not answering" while it waits (a paused server), and a failed one closes the API's
gate at once (`Database.mark_down`), as a failed request would; a success while the
gate is closed reopens it, so an idle API heals without a request to probe for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg

from schema.database import Connection

log = logging.getLogger("jobmatch.api")
EVERY_S = 0.5
SLOW_S = 1.0
STALE_S = 2.0
CONNECT_TIMEOUT_S = 2  # libpq's smallest


class Pulse:
    """Checks the database on a thread; `problem()` says what is wrong, if anything."""

    def __init__(
        self,
        url: str,
        *,
        watch: Callable[[Connection], None],
        on_down: Callable[[], None],
        on_up: Callable[[], None],
    ) -> None:
        self._url = url
        self._watch = watch  # the watchdog cuts a round trip with no answer
        self._on_down = on_down
        self._on_up = on_up
        self._conn: Connection | None = None
        self._ok_at: float | None = None
        self._busy_since: float | None = None
        self._stop = threading.Event()
        self.beat()  # the first answer is known before the app serves
        self._thread = threading.Thread(target=self._run, name="db-pulse", daemon=True)
        self._thread.start()

    def problem(self) -> str | None:
        """None when the last round trip succeeded recently; else what /health says."""
        now = time.monotonic()
        busy_since = self._busy_since
        if busy_since is not None and now - busy_since > SLOW_S:
            return "database not answering"
        if self._ok_at is None or now - self._ok_at > STALE_S:
            return "database unreachable"
        return None

    def answered(self) -> None:
        """Another round trip (a request's probe) just succeeded."""
        self._ok_at = time.monotonic()

    def beat(self) -> bool:
        """One round trip (reconnecting first if needed); whether it succeeded."""
        self._busy_since = time.monotonic()
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(
                    self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
                )
                self._watch(self._conn)
            self._conn.execute("SELECT 1")
        except psycopg.Error as error:
            log.debug("database pulse: %s", error)
            self._ok_at = None
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            return False
        finally:
            self._busy_since = None
        self.answered()
        return True

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=CONNECT_TIMEOUT_S + 1)
        if self._conn is not None and not self._thread.is_alive():
            self._conn.close()

    def _run(self) -> None:
        while not self._stop.wait(EVERY_S):
            try:
                if self.beat():
                    self._on_up()
                else:
                    self._on_down()
            except Exception:  # the thread must outlive any failure
                log.exception("database pulse")
