"""Merging the full-text index's pending entries on a second connection, alongside the ingest.

A GIN index (`jobs_search_idx`) takes new entries into a pending list and merges them into
its tree in bulk once the list passes `gin_pending_list_limit`, in whichever backend is
inserting at that moment: inside the ingest's INSERT, on the one core its backend runs
on, a sizeable share of storing them. While a stream is stored, its
transaction raises that limit (`defer_merging`), so its INSERTs only append, and a
`PendingMerger` merges after each chunk on its own backend, on another core, while the
stream's connection goes on with the next chunk. Any backend may merge entries of rows
not yet committed (the heap decides what is visible), and searches read the pending list
meanwhile, so nothing is missed in between. `close` runs a last merge and waits for it,
so the index is left merged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from schema.database import Connection, connect

log = logging.getLogger(__name__)

# Large enough that no INSERT of a stream merges on its own: a stream's pending entries
# are merged by the merger after each chunk, so the list never grows near this.
_DEFERRED_LIMIT = "1GB"
_MERGE = "SELECT gin_clean_pending_list('jobs_search_idx'::regclass)"


class PendingMerger:
    """Merges the pending list whenever asked, on its own connection and thread."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._asked = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="search-index-merge", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, url: str) -> PendingMerger | None:
        """A merger, or None when this role may not merge (only the index's owner may;
        the ingest then merges inside its INSERTs, as PostgreSQL does by default)."""
        conn = connect(url, vectors=False)
        conn.autocommit = True
        try:
            conn.execute(_MERGE)  # also checks the privilege up front
        except psycopg.errors.InsufficientPrivilege:
            conn.close()
            log.info("not the owner of jobs_search_idx: its pending entries merge in the ingest")
            return None
        return cls(conn)

    @property
    def backend_pid(self) -> int:
        """The merging backend's process id (a benchmark counts its CPU)."""
        return self._conn.info.backend_pid

    def defer_merging(self, stream: Connection) -> None:
        """Leave merging to this merger for the rest of `stream`'s open transaction."""
        stream.execute(f"SET LOCAL gin_pending_list_limit = '{_DEFERRED_LIMIT}'")

    def merge_soon(self) -> None:
        """Merge what is pending, once the merge under way (if any) is done."""
        self._asked.set()

    def close(self) -> None:
        """Merge what is pending, wait for it, and close the connection."""
        self._closing = True
        self._asked.set()
        self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        while True:
            self._asked.wait()
            self._asked.clear()
            # Read before merging: a close asked during this merge gets one more.
            last = self._closing
            try:
                self._conn.execute(_MERGE)
            except psycopg.Error as error:  # the ingest goes on; a search reads the rest
                log.warning("merging the search index's pending entries failed: %s", error)
            if last:
                return


@contextmanager
def pending_merger(url: str) -> Iterator[PendingMerger | None]:
    """A started `PendingMerger` (None if this role may not merge), closed on exit."""
    merger = PendingMerger.start(url)
    try:
        yield merger
    finally:
        if merger is not None:
            merger.close()
