"""The scrape and import pipelines: fetch or read, parse, keep the window, upsert, record.

Each source is its own recorded run (`scrape:<name>`) and its own transaction: a source
that fails (unreachable, invalid body, database error) is reported and the next one runs,
and a failed source writes nothing. A source's pages are all fetched before its
transaction opens; then pages (and slices of a saved body) are parsed on another thread
while earlier ones are stored (`ingest_stream`), inside that one transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from schema.database import connection
from schema.queries.runs import recorded_run
from workers.pipelines.ingest_stream import CHUNK_JOBS, StreamTotals, store_stream
from workers.pipelines.normalise import ImportFileError, parse_csv, parse_jsonl
from workers.pipelines.search_index_merge import pending_merger
from workers.settings import Settings
from workers.sources import SOURCE_CLASSES
from workers.sources.adzuna import Adzuna
from workers.sources.base import JobSource, ParseResult, SourceError
from workers.sources.http import HttpPolicy, PoliteClient

# Called with (source, what is happening now) so a CLI can show progress.
Progress = Callable[[str, str], None]

ADZUNA_MISSING = "ADZUNA_APP_ID and ADZUNA_APP_KEY are not set; Adzuna skipped"


@dataclass
class SourceSummary:
    """What one source's run did."""

    source: str
    status: str = "succeeded"  # succeeded | failed | skipped
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    outside_window: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # bad records by reason
    error: str | None = None
    seconds: float = 0.0

    @property
    def failed_total(self) -> int:
        """Records skipped as bad."""
        return sum(self.failed.values())

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output and the run log."""
        return asdict(self)


def build_source(name: str, settings: Settings, base_url: str | None = None) -> JobSource | None:
    """The source called `name`, or None for Adzuna without credentials."""
    if name not in SOURCE_CLASSES:
        raise ValueError(f"unknown source {name!r}; choose from {', '.join(SOURCE_CLASSES)}")
    if name == Adzuna.name:
        if not (settings.adzuna_app_id and settings.adzuna_app_key):
            return None
        return Adzuna(settings.adzuna_app_id, settings.adzuna_app_key, base_url)
    return SOURCE_CLASSES[name](base_url)


def scrape(
    url: str,
    settings: Settings,
    *,
    sources: Sequence[str] | None = None,
    days: int | None = None,
    progress: Progress | None = None,
    base_urls: Mapping[str, str] | None = None,
    policy: HttpPolicy | None = None,
) -> list[SourceSummary]:
    """Scrape `sources` (default `settings.sources`), keeping jobs of the last `days` days.

    `base_urls` (default `settings.source_urls`) points sources elsewhere (a mirror, a
    replay server); `policy` sets the HTTP timeouts, retries and pacing. One summary per
    source, in order.
    """
    names = list(sources or settings.sources)
    for name in names:
        if name not in SOURCE_CLASSES:
            raise ValueError(f"unknown source {name!r}; choose from {', '.join(SOURCE_CLASSES)}")
    since = datetime.now(UTC) - timedelta(days=days or settings.scrape_days)
    report = progress or (lambda source, message: None)
    return [
        _scrape_one(
            url,
            settings,
            name,
            since=since,
            report=report,
            base_url=(base_urls or settings.source_urls).get(name),
            policy=policy,
        )
        for name in names
    ]


def _scrape_one(
    url: str,
    settings: Settings,
    name: str,
    *,
    since: datetime,
    report: Progress,
    base_url: str | None,
    policy: HttpPolicy | None,
) -> SourceSummary:
    summary = SourceSummary(name)
    started = time.monotonic()
    try:
        with recorded_run(url, f"scrape:{name}") as counts:
            source = build_source(name, settings, base_url)
            if source is None:
                summary.status, summary.error = "skipped", ADZUNA_MISSING
                counts["skipped"] = ADZUNA_MISSING
            else:
                _store(url, summary, _pages(source, since, policy), since, report)
                counts.update(_run_counts(summary))
    except Exception as error:  # one failing source must never stop the others
        summary.status, summary.error = "failed", _describe(error)
    summary.seconds = round(time.monotonic() - started, 3)
    report(name, summary.status)
    return summary


def _pages(source: JobSource, since: datetime, policy: HttpPolicy | None) -> Iterator[ParseResult]:
    """Every page of one source: all fetched first, so no transaction stays open while a
    slow API is paced or retried, then parsed one by one as the store asks for them."""
    with PoliteClient(policy) as client:
        bodies = list(source.fetch(client, since))
    return (source.parse(body) for body in bodies)


def _store(
    url: str,
    summary: SourceSummary,
    chunks: Iterable[ParseResult],
    since: datetime | None,
    report: Progress | None = None,
) -> None:
    """Keep the window and upsert every chunk in one transaction; fill `summary`.

    Chunks are produced (parsed) on another thread while earlier ones are stored;
    whatever producing one raises rolls back everything and is raised here.
    """

    def stored(totals: StreamTotals) -> None:
        if report is not None:
            report(summary.source, f"stored {totals.parsed} job(s) so far")

    # The merger closes after the stream's connection: its last merge follows the commit.
    with pending_merger(url) as merger, connection(url) as conn:
        totals = store_stream(conn, chunks, since=since, stored=stored, merger=merger)
    summary.fetched = totals.parsed + sum(totals.skipped.values())
    summary.outside_window = totals.outside_window
    summary.failed = dict(totals.skipped)
    counts = totals.counts
    summary.new, summary.updated = counts.new, counts.updated
    summary.unchanged, summary.duplicates = counts.unchanged, counts.duplicates


def import_file(
    url: str, path: Path, *, source: str | None = None, days: int | None = None
) -> SourceSummary:
    """Load a JSONL/CSV file of normalised jobs, or a saved response body of a known source.

    Every valid job is kept unless `days` is given. Raises `ImportFileError` when the file
    as a whole cannot be used; then nothing is stored and the run is recorded as failed.
    """
    started = time.monotonic()
    with recorded_run(url, "import") as counts:
        counts["file"] = str(path)
        name, chunks = _jobs_file_chunks(path, source)
        summary = SourceSummary(name)
        since = datetime.now(UTC) - timedelta(days=days) if days else None
        _store(url, summary, chunks, since)
        counts.update(_run_counts(summary))
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def read_jobs_file(path: Path, source: str | None) -> tuple[str, ParseResult]:
    """(the source the jobs are from, or "file"; the parsed jobs) of a file to import."""
    name, chunks = _jobs_file_chunks(path, source)
    parsed = ParseResult()
    for chunk in chunks:
        parsed.extend(chunk)
    return name, parsed


def _jobs_file_chunks(path: Path, source: str | None) -> tuple[str, Iterable[ParseResult]]:
    """The source of a file to import, and its jobs parsed lazily in chunks."""
    if source is not None and source not in SOURCE_CLASSES:
        raise ImportFileError(f"unknown source {source!r}; choose from {', '.join(SOURCE_CLASSES)}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror or error}") from error
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return source or "file", [parse_jsonl(data, source)]
    if suffix == ".csv":
        return source or "file", [parse_csv(data, source)]
    return _read_response_body(path, data, source)


def _read_response_body(
    path: Path, data: bytes, source: str | None
) -> tuple[str, Iterable[ParseResult]]:
    try:
        body = json.loads(data.decode("utf-8", errors="surrogateescape"))
    except json.JSONDecodeError as error:
        raise ImportFileError(
            f"{path} is not valid JSON ({error.msg} at character {error.pos}); expected a "
            "saved API response (.json), JSON Lines (.jsonl) or CSV (.csv)"
        ) from error
    names = [source] if source else [n for n, c in SOURCE_CLASSES.items() if c.looks_like(body)]
    if not names:
        raise ImportFileError(
            f"{path} is not a response of a known source; pass --source "
            f"({', '.join(SOURCE_CLASSES)}) or use .jsonl/.csv for normalised jobs"
        )
    parser = _parser(names[0])
    try:
        items = parser.items(body)  # the body's shape is checked before anything is stored
    except SourceError as error:
        raise ImportFileError(f"{path}: {error}") from error
    slices = (items[start : start + CHUNK_JOBS] for start in range(0, len(items), CHUNK_JOBS))
    return names[0], (parser.parse_items(part) for part in slices)


def _parser(name: str) -> JobSource:
    """A source used only to parse saved bodies (Adzuna needs no keys for that)."""
    if name == Adzuna.name:
        return Adzuna("", "")
    return SOURCE_CLASSES[name]()


def _run_counts(summary: SourceSummary) -> dict[str, object]:
    counts = summary.as_dict()
    for key in ("source", "status", "error", "seconds"):
        counts.pop(key)
    return counts


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text if isinstance(error, SourceError) else f"{type(error).__name__}: {text}"
