"""A small in-process brake on password guessing at sign-in.

This is a stand-in hook: the API's rate limiting (`server/throttle.py`, another branch)
should replace it once it lands, behind the same two calls (`wait_s`, `record`).
"""

from __future__ import annotations

import threading
import time
from collections import deque

MAX_FAILURES = 10
WINDOW_S = 15 * 60.0
MAX_KEYS = 10_000


class SignInThrottle:
    """At most `MAX_FAILURES` failed sign-ins per key (an email) per `WINDOW_S` seconds."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S) -> None:
        self._max = max_failures
        self._window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, key: str) -> float:
        """Seconds before `key` may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get(key.lower())
            if failures is None:
                return 0.0
            while failures and failures[0] <= now - self._window_s:
                failures.popleft()
            if len(failures) < self._max:
                return 0.0
            return failures[0] + self._window_s - now

    def record(self, key: str, *, succeeded: bool) -> None:
        """Count a failure, or forget the key's failures after a success."""
        with self._lock:
            if succeeded:
                self._failures.pop(key.lower(), None)
                return
            if len(self._failures) >= MAX_KEYS:
                self._failures.clear()  # rare; forgetting beats unbounded memory
            self._failures.setdefault(key.lower(), deque()).append(time.monotonic())
