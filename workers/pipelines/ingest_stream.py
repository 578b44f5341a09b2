"""Parse and upsert at the same time: a parsing thread feeds the upsert through a small queue.

Parsing is Python on one core; an upsert is PostgreSQL, bound by computing
`jobs.search_vector` (to_tsvector of whole descriptions) for new jobs, which it spreads
over a parallel query (schema/queries/jobs.py). Run one after the other, the parse would
leave the server's share of the cores idle and the upsert the parser's; here the thread
parses (or fetches and parses) chunk k+1 while the server stores chunk k. psycopg releases
the GIL while it waits for the server, so the two really overlap.

All chunks are stored in ONE transaction: when the chunk iterator raises (an invalid or
truncated body, a failing page) or an upsert fails, everything stored so far is rolled
back and the error is raised here, so a source's run still writes nothing half.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from schema.database import Connection
from schema.queries.jobs import UpsertCounts, upsert_jobs
from workers.pipelines.search_index_merge import PendingMerger
from workers.sources.base import ParseResult

# Parsed chunks waiting for the upsert: enough to keep the server busy, few enough that
# a slow server does not let parsed jobs pile up in memory.
QUEUE_DEPTH = 2
# Jobs per upsert: each upsert has a fixed cost beyond its rows; the first chunk's parse and
# the last one's upsert do not overlap anything.
CHUNK_JOBS = 1_000


@dataclass
class StreamTotals:
    """What a streamed store did, over every chunk."""

    parsed: int = 0  # valid records parsed
    outside_window: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # bad records by reason
    counts: UpsertCounts = field(default_factory=UpsertCounts)


class _Done:
    """The iterator is exhausted."""


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def store_stream(
    conn: Connection,
    chunks: Iterable[ParseResult],
    *,
    since: datetime | None = None,
    stored: Callable[[StreamTotals], None] | None = None,
    merger: PendingMerger | None = None,
) -> StreamTotals:
    """Upsert every chunk (jobs posted before `since` dropped) while the next one is parsed.

    `chunks` is consumed on a separate thread; `stored` is called on this thread after
    each chunk is stored (for progress). With a `merger`, the search index's new entries
    are merged by it after each chunk, on another core (see `search_index_merge`).
    Commits once at the end; raises (having rolled back) whatever the iterator or an
    upsert raised.
    """
    handoff: queue.Queue[ParseResult | _Done | _Failed] = queue.Queue(QUEUE_DEPTH)
    stop = threading.Event()
    producer = threading.Thread(
        target=_produce, args=(chunks, handoff, stop), name="ingest-parse", daemon=True
    )
    totals = StreamTotals()
    seen: set[tuple[str, str]] = set()
    producer.start()
    try:
        with conn.transaction():
            if merger is not None:
                merger.defer_merging(conn)
            while not isinstance(chunk := handoff.get(), _Done):
                if isinstance(chunk, _Failed):
                    raise chunk.error
                _store_chunk(conn, chunk, since, totals, seen)
                if merger is not None:
                    merger.merge_soon()
                if stored is not None:
                    stored(totals)
    finally:
        stop.set()  # a failed upsert must not leave the thread blocked on a full queue
        producer.join()
    return totals


def _produce(
    chunks: Iterable[ParseResult],
    handoff: queue.Queue[ParseResult | _Done | _Failed],
    stop: threading.Event,
) -> None:
    """Run on the parsing thread: put each chunk, then `_Done` or the error raised."""
    iterator = iter(chunks)
    try:
        for chunk in iterator:
            if not _put(handoff, chunk, stop):
                return
        _put(handoff, _Done(), stop)
    except BaseException as error:  # handed to the consumer, which raises it
        _put(handoff, _Failed(error), stop)
    finally:
        # A generator stopped early closes here, on its own thread (its HTTP client too).
        close = getattr(iterator, "close", None)
        if callable(close):
            close()


def _put(
    handoff: queue.Queue[ParseResult | _Done | _Failed],
    item: ParseResult | _Done | _Failed,
    stop: threading.Event,
) -> bool:
    """Put `item` unless the consumer has stopped; False when it has."""
    while not stop.is_set():
        try:
            handoff.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _store_chunk(
    conn: Connection,
    chunk: ParseResult,
    since: datetime | None,
    totals: StreamTotals,
    seen: set[tuple[str, str]],
) -> None:
    """Upsert one chunk and add its counts to `totals`.

    A (source, source_id) pair already stored by an earlier chunk is upserted again (the
    last one wins, as inside one batch) and counted as a duplicate, as inside one batch.
    """
    totals.parsed += len(chunk.records)
    totals.skipped.update(chunk.skipped)
    kept = [r for r in chunk.records if since is None or r.posted_at >= since]
    totals.outside_window += len(chunk.records) - len(kept)
    first = [r for r in kept if (r.source, r.source_id) not in seen]
    again = [r for r in kept if (r.source, r.source_id) in seen]
    counts = upsert_jobs(conn, first)
    repeated = upsert_jobs(conn, again).total if again else 0
    seen.update((r.source, r.source_id) for r in first)
    totals.counts = UpsertCounts(
        new=totals.counts.new + counts.new,
        updated=totals.counts.updated + counts.updated,
        unchanged=totals.counts.unchanged + counts.unchanged,
        duplicates=totals.counts.duplicates + counts.duplicates + repeated,
    )
