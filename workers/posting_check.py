"""Is a job posting still open? Its URL asked politely; the answer open, closed or unknown.

Politeness: one request at a time per host (a URL's host and port), at least
`host_interval_s` from the end of one to the start of the next, however many postings a
host has; `concurrency` requests in flight over all hosts; a User-Agent naming jobmatch
and the operator's contact. HEAD first; GET when HEAD is refused (400, 403, 405, 406,
501) or answers 404 or 410 (closed is decided on a GET's word). A 429 or 503 with
`Retry-After` up to `retry_after_max_s` holds the host that long and is asked once more
(a 429 without one: after five intervals).

Limits: connect and read timeouts of `timeout_s` and a whole request cut at twice that
(a server sending a byte now and then never reaches the read timeout); redirects followed
here, at most `MAX_REDIRECTS`, a URL seen twice being a loop; a GET body read as raw
bytes and dropped after `max_body_bytes`.

The rule: 404 and 410 are closed. A 2xx reached through redirects is closed when the
final URL no longer holds the posting's key (the last segment of its path: the id or
slug) and looks like a home, search or listing page: an empty path, a last path segment
such as `jobs` or `search`, a search query (`q=`, `keywords=`...), or words such as
`expired` or `not-found`. Any other 2xx is open. Everything else is unknown and never
closed: timeouts, 5xx, a 429 after its retry, a cut body, a loop, a refused connection,
other 4xx (401 and 403 are mostly bot walls, not answers about the job).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx

from workers.settings import PostingCheck
from workers.sources.http import retry_after_seconds

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
REFUSED_HEAD = frozenset({400, 403, 405, 406, 501})
GONE = frozenset({404, 410})
# A 429 without Retry-After waits this many host intervals before its one retry.
BACKOFF_INTERVALS = 5

_LISTING_SEGMENTS = frozenset(
    {
        "search",
        "jobs",
        "job",
        "careers",
        "career",
        "vacancies",
        "positions",
        "openings",
        "results",
        "listings",
        "browse",
        "remote-jobs",
        "jobs-search",
        "job-search",
    }
)
_SEARCH_KEYS = frozenset({"q", "query", "search", "keywords", "keyword", "term", "what"})
_GONE_WORDS = re.compile(r"expired|closed|no-?longer|not-?found|unavailable|removed|404")


class Outcome(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Posting:
    """A job to check: its id and the URL it was posted at."""

    job_id: int
    url: str


@dataclass(frozen=True)
class CheckResult:
    """What one check found, as `job_checks` records it."""

    job_id: int
    outcome: Outcome
    http_status: int | None
    final_url: str | None
    detail: str
    checked_at: datetime


@dataclass(frozen=True)
class _Answer:
    status: int
    location: str | None
    retry_after: float | None
    cut: bool


class _UnknownError(Exception):
    """The check cannot tell: the message says why."""


def check_postings(
    postings: Sequence[Posting],
    config: PostingCheck,
    on_result: Callable[[CheckResult], None],
) -> None:
    """Check every posting, calling `on_result` with each result as it comes."""
    asyncio.run(_check_all(postings, config, on_result))


async def _check_all(
    postings: Sequence[Posting], config: PostingCheck, on_result: Callable[[CheckResult], None]
) -> None:
    timeout = httpx.Timeout(config.timeout_s)
    limits = httpx.Limits(max_connections=config.concurrency)
    headers = {"User-Agent": config.user_agent, "Accept": "text/html,*/*;q=0.8"}
    async with httpx.AsyncClient(
        headers=headers, timeout=timeout, limits=limits, follow_redirects=False
    ) as client:
        checker = _Checker(client, config)
        checks = [asyncio.create_task(checker.check(posting)) for posting in postings]
        for done in asyncio.as_completed(checks):
            on_result(await done)


class HostGate:
    """One request at a time per host, `interval` seconds from the end of one to the
    start of the next; `hold` pushes a host's next turn later (Retry-After)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._locks: dict[str, asyncio.Lock] = {}
        self._next: dict[str, float] = {}

    @contextlib.asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[None]:
        """Wait for the host's turn; the request runs inside the block."""
        loop = asyncio.get_running_loop()
        async with self._locks.setdefault(host, asyncio.Lock()):
            delay = self._next.get(host, 0.0) - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                yield
            finally:
                self._next[host] = max(self._next.get(host, 0.0), loop.time() + self.interval)

    def hold(self, host: str, seconds: float) -> None:
        """No request to `host` for `seconds` from now."""
        until = asyncio.get_running_loop().time() + seconds
        self._next[host] = max(self._next.get(host, 0.0), until)


class _Checker:
    def __init__(self, client: httpx.AsyncClient, config: PostingCheck) -> None:
        self.client, self.config = client, config
        self.gate = HostGate(config.host_interval_s)
        self.slots = asyncio.Semaphore(config.concurrency)

    async def check(self, posting: Posting) -> CheckResult:
        """One posting's outcome; never raises for anything the network does."""
        url, status = posting.url, None
        try:
            status, url, outcome, detail = await self._follow(posting)
        except _UnknownError as why:
            outcome, detail = Outcome.UNKNOWN, str(why)
        except (TimeoutError, httpx.TimeoutException):
            outcome, detail = Outcome.UNKNOWN, "timed out"
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
            outcome, detail = Outcome.UNKNOWN, f"{type(error).__name__}: {error}"[:200]
        return CheckResult(posting.job_id, outcome, status, url, detail, datetime.now(UTC))

    async def _follow(self, posting: Posting) -> tuple[int, str, Outcome, str]:
        """Ask, following redirects and one Retry-After; (status, final URL, outcome, why)."""
        url, seen, retried = posting.url, {posting.url}, False
        if urlsplit(url).scheme not in ("http", "https"):
            raise _UnknownError("not an http(s) URL")
        while True:
            answer = await self._ask(url)
            if answer.status in REDIRECTS and answer.location:
                url = urljoin(url, answer.location)
                if url in seen or len(seen) > MAX_REDIRECTS:
                    raise _UnknownError(f"redirect loop or more than {MAX_REDIRECTS} redirects")
                seen.add(url)
                continue
            if not retried and self._wait_to_retry(url, answer):
                retried = True
                continue
            outcome, detail = _judge(posting.url, url, answer, len(seen) > 1, self.config)
            return answer.status, url, outcome, detail

    def _wait_to_retry(self, url: str, answer: _Answer) -> bool:
        """Hold the host as a 429/503 asks; whether the same URL is worth one more try."""
        if answer.status not in (429, 503):
            return False
        wait = answer.retry_after
        if wait is None and answer.status == 429:
            wait = BACKOFF_INTERVALS * self.config.host_interval_s
        if wait is None:
            return False
        host = urlsplit(url).netloc.lower()
        self.gate.hold(host, min(wait, self.config.retry_after_max_s))
        return wait <= self.config.retry_after_max_s

    async def _ask(self, url: str) -> _Answer:
        """HEAD; GET when HEAD is refused, and to confirm a HEAD's 404 or 410 (some
        servers route HEAD apart from GET): a job is closed on a GET's word only."""
        answer = await self._request("HEAD", url)
        if answer.status in REFUSED_HEAD or answer.status in GONE:
            answer = await self._request("GET", url)
        return answer

    async def _request(self, method: str, url: str) -> _Answer:
        host = urlsplit(url).netloc.lower()
        async with (
            self.gate.turn(host),
            self.slots,
            asyncio.timeout(2 * self.config.timeout_s),
            self.client.stream(method, url) as response,
        ):
            cut = method == "GET" and await _body_too_long(response, self.config)
            return _Answer(
                response.status_code,
                response.headers.get("location"),
                retry_after_seconds(response.headers.get("retry-after")),
                cut,
            )


async def _body_too_long(response: httpx.Response, config: PostingCheck) -> bool:
    """Read the body as raw bytes (no decompression) until it ends or passes the cap."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > config.max_body_bytes:
        return True
    received = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > config.max_body_bytes:
            return True
    return False


def _judge(
    original: str, final: str, answer: _Answer, redirected: bool, config: PostingCheck
) -> tuple[Outcome, str]:
    if answer.status in GONE:
        return Outcome.CLOSED, f"HTTP {answer.status}"
    if answer.cut:
        return Outcome.UNKNOWN, f"body longer than {config.max_body_bytes} bytes: cut"
    if 200 <= answer.status < 300:
        if redirected and left_the_posting(original, final):
            return Outcome.CLOSED, "redirected to a home, search or listing page"
        return Outcome.OPEN, f"HTTP {answer.status}"
    return Outcome.UNKNOWN, f"HTTP {answer.status}"


def left_the_posting(original: str, final: str) -> bool:
    """Whether a redirect from `original` ended on a page that is not the posting: its key
    (the path's last segment) is gone and `final` looks like a home, search or listing
    page. A posting whose own URL has no path gives no key: never judged left."""
    key = _posting_key(original)
    if not key or key in final.lower():
        return False
    parts = urlsplit(final)
    segments = [segment for segment in parts.path.lower().split("/") if segment]
    if not segments or segments[-1] in _LISTING_SEGMENTS:
        return True
    if any(name.lower() in _SEARCH_KEYS for name, _ in parse_qsl(parts.query)):
        return True
    return bool(_GONE_WORDS.search(f"{parts.path}?{parts.query}".lower()))


def _posting_key(url: str) -> str:
    segments = [segment for segment in urlsplit(url).path.lower().split("/") if segment]
    return segments[-1] if segments else ""
