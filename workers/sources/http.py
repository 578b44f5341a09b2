"""A polite HTTP client for job APIs: timeouts, retries with backoff, a pause between calls.

Retried: connection errors and timeouts, 429 (waiting what `Retry-After` asks, capped),
and 5xx, with exponential backoff. Not retried: other 4xx. A body that is not valid JSON
fails at once: retrying a broken API every day would only hide it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx

USER_AGENT = "jobmatch/0.1 (local-first job recommender; +https://github.com/jobmatch/jobmatch)"


class SourceError(RuntimeError):
    """A whole source failed (unreachable, refused, or an invalid body); nothing is stored."""


@dataclass(frozen=True)
class HttpPolicy:
    """How patient and how polite a client is; tests use tiny values."""

    timeout: float = 20.0
    retries: int = 3
    backoff: float = 2.0  # the first retry's wait in seconds, doubled at each further retry
    max_wait: float = 120.0  # cap on any wait, including a server's Retry-After
    delay: float = 1.0  # pause between two requests of one client
    user_agent: str = USER_AGENT


class PoliteClient:
    """An `httpx.Client` that retries, backs off and paces itself; use it as a context manager."""

    def __init__(
        self, policy: HttpPolicy | None = None, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.policy = policy or HttpPolicy()
        self._sleep = sleep
        self._client = httpx.Client(
            timeout=self.policy.timeout,
            headers={"User-Agent": self.policy.user_agent, "Accept": "application/json"},
            follow_redirects=True,
        )
        self._last_request = 0.0
        self.waits: list[float] = []  # every backoff or Retry-After wait, for summaries and tests

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def get_json(self, url: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET `url` and decode its JSON body, retrying what is worth retrying."""
        reason = "no attempt made"
        for attempt in range(self.policy.retries + 1):
            self._pace()
            try:
                response = self._client.get(url, params=params)
            except httpx.TransportError as error:
                reason = f"{type(error).__name__}: {error or 'no detail'}"
                wait = self._backoff(attempt)
            else:
                if response.is_success:
                    return _decode(response)
                reason = f"HTTP {response.status_code} from {_public(response.request.url)}"
                if response.status_code == 429:
                    asked = retry_after_seconds(response.headers.get("Retry-After"))
                    wait = asked or self._backoff(attempt)
                elif response.status_code >= 500:
                    wait = self._backoff(attempt)
                else:
                    raise SourceError(reason)
            if attempt < self.policy.retries:
                wait = min(wait, self.policy.max_wait)
                self.waits.append(wait)
                self._sleep(wait)
        raise SourceError(f"gave up after {self.policy.retries + 1} attempts; last: {reason}")

    def _backoff(self, attempt: int) -> float:
        return float(self.policy.backoff * 2**attempt)

    def _pace(self) -> None:
        pause = self._last_request + self.policy.delay - time.monotonic()
        if pause > 0:
            self._sleep(pause)
        self._last_request = time.monotonic()


def _decode(response: httpx.Response) -> Any:
    # surrogateescape keeps stray non-UTF-8 bytes as lone surrogates, so the one record
    # holding them is skipped by the parser instead of failing the whole body.
    text = response.content.decode("utf-8", errors="surrogateescape")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SourceError(
            f"invalid or truncated JSON from {_public(response.request.url)}"
            f" ({error.msg} at character {error.pos} of {len(text)})"
        ) from error


def retry_after_seconds(header: str | None) -> float | None:
    """Seconds a `Retry-After` header asks us to wait (seconds or an HTTP date), or None.
    Shared by the sources' client and the closed-postings check."""
    value = (header or "").strip()
    if not value:
        return None
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _public(url: httpx.URL) -> str:
    """The URL without its query, which may hold API keys."""
    return str(url.copy_with(query=None))
