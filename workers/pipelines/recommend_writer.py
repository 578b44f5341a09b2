"""Writing new lists on another connection, in a thread, while the next block is scored.

Storing a block of lists is mostly PostgreSQL's work; done by a writer thread it overlaps
with scoring and explaining the next block in Python. Each block is one transaction
(`replace_lists`), so every user's list is old or new, never mixed; the first error stops
all writers (blocks already in flight still commit or roll back whole) and is raised in
the generating thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from schema.database import connect
from schema.queries import recommendations as q
from schema.queries.recommendation_lists import NewList, replace_lists

Written = Callable[[int, int], None]  # (users in the block, recommendations), after commit


class ListWriter:
    """Replaces blocks of users' lists, in submission order, on its own connection."""

    def __init__(
        self,
        url: str,
        *,
        model_id: int,
        generated_at: datetime,
        expires_at: datetime,
        on_written: Written,
        threads: int = 1,
    ) -> None:
        """`threads=0` writes in the caller's thread (one user: no thread is worth it)."""
        self.url, self.model_id = url, model_id
        self.generated_at, self.expires_at = generated_at, expires_at
        self.on_written = on_written
        self.busy_seconds = 0.0
        self.error: BaseException | None = None
        self._lock = threading.Lock()  # guards busy_seconds and on_written
        self._queue: queue.Queue[tuple[list[int], list[NewList]] | None] = queue.Queue(1)
        self._conn = connect(url) if threads == 0 else None
        self._threads = [
            threading.Thread(target=self._drain, name=f"recommendation-writer-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, user_ids: list[int], lists: list[NewList]) -> None:
        """Queue one block (blocks while the previous one is still being written)."""
        self._raise_error()
        if self._conn is not None:
            self._write(self._conn, user_ids, lists)
        else:
            self._queue.put((user_ids, lists))

    def close(self, *, raise_error: bool = True) -> None:
        """Wait for queued blocks, close the connection; raise the writer's error."""
        try:
            for _ in self._threads:
                self._queue.put(None)
            for thread in self._threads:
                thread.join()
        finally:
            if self._conn is not None:
                self._conn.close()
        if raise_error:
            self._raise_error()

    def _raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def _drain(self) -> None:
        try:
            conn = connect(self.url)
        except BaseException as error:
            self.error = error
            conn = None
        try:
            while (item := self._queue.get()) is not None:
                if self.error is not None or conn is None:
                    continue  # keep taking blocks so the producer never blocks; write none
                try:
                    self._write(conn, *item)
                except BaseException as error:  # handed to the producer thread
                    self.error = error
        finally:
            if conn is not None:
                conn.close()

    def _write(self, conn: q.Connection, user_ids: Sequence[int], lists: Sequence[NewList]) -> None:
        conn.autocommit = True  # replace_lists opens one transaction per block
        started = time.perf_counter()
        written = replace_lists(
            conn,
            user_ids,
            lists,
            model_id=self.model_id,
            generated_at=self.generated_at,
            expires_at=self.expires_at,
        )
        with self._lock:
            self.busy_seconds += time.perf_counter() - started
            self.on_written(len(user_ids), written)
