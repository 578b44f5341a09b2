"""Turning a block of picks into stored lists: evidence for reasons, one transaction each.

A block's evidence (`embeddings.evidence`: which terms each user's CV shares with each
picked job) is array work, and its COPY is numpy-built bytes, so both run on a thread
while the generating thread scores the next block: numpy and psycopg release the GIL.
The thread has its own connection. Each block's lists are replaced in one transaction
(`replace_lists`), so every user's list is old or new, never mixed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from embeddings.evidence import term_keys
from embeddings.reasons import PROFILE_VERSION
from schema.database import Connection, connect
from schema.queries import generation_reads as q
from schema.queries import text_profiles as tp
from schema.queries.list_writes import NewLists, replace_lists
from workers.pipelines.recommend_catalog import Catalog

Written = Callable[[int, int], None]  # (users in the block, recommendations), after commit


@dataclass(frozen=True)
class BlockPicks:
    """A block's chosen jobs, best first per user, laid end to end (`counts[u]` of user
    `users[u]`), with what each job's place has to do with its user's wishes."""

    users: list[q.UserQuery]
    counts: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int64]  # catalog rows
    scores: npt.NDArray[np.float32]
    fits: list[str | None]


@dataclass(frozen=True)
class Stamp:
    """What every list of one run shares."""

    model_id: int
    generated_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class BlockDone:
    users: int
    recommendations: int
    evidence_seconds: float
    write_seconds: float


class ListWriter:
    """Writes blocks in submission order: here on the caller's connection `conn`
    (`behind=False`), or on a thread with its own connection while the caller scores
    the next block. The first error stops the run and is raised in the caller; a block
    being written then commits or rolls back whole."""

    def __init__(
        self,
        conn: Connection,
        url: str,
        catalog: Catalog,
        stamp: Stamp,
        on_written: Written,
        *,
        behind: bool,
    ) -> None:
        self.catalog, self.stamp, self.on_written = catalog, stamp, on_written
        self.seconds = {"evidence": 0.0, "write": 0.0}
        self._conn = connect(url) if behind else conn
        self._conn.autocommit = True  # replace_lists opens one transaction per block
        self._own_conn = behind
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="lists") if behind else None
        self._pending: Future[BlockDone] | None = None

    def submit(self, block: BlockPicks) -> None:
        """Write `block` (now, or on the thread once the previous block is done)."""
        if self._thread is None:
            self._done(self._write(block))
            return
        self._collect()
        self._pending = self._thread.submit(self._write, block)

    def close(self) -> None:
        """Wait for the last block; raise its error."""
        try:
            self._collect()
        finally:
            self.abort()

    def abort(self) -> None:
        """Let a block being written finish; release the thread and connection."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        if self._own_conn and not self._conn.closed:
            self._conn.close()

    def _collect(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._done(pending.result())

    def _done(self, done: BlockDone) -> None:
        self.seconds["evidence"] += done.evidence_seconds
        self.seconds["write"] += done.write_seconds
        self.on_written(done.users, done.recommendations)

    def _write(self, block: BlockPicks) -> BlockDone:
        started = time.perf_counter()
        lists = self._lists(block)
        found = time.perf_counter()
        written = replace_lists(
            self._conn,
            lists.named_cv_ids,  # a named CV whose version vanished keeps the old list
            lists,
            model_id=self.stamp.model_id,
            generated_at=self.stamp.generated_at,
            expires_at=self.stamp.expires_at,
        )
        done = time.perf_counter()
        return BlockDone(len(lists.user_ids), written, found - started, done - found)

    def _lists(self, block: BlockPicks) -> NewLists:
        """The block's new lists with evidence; none for a user whose CV was deleted
        since it was scored."""
        keys = self._cv_keys([user.cv_id for user in block.users])
        kept = np.array([user.cv_id in keys for user in block.users], dtype=bool)
        per_pick = np.repeat(kept, block.counts)
        users = [user for user, keep in zip(block.users, kept.tolist(), strict=True) if keep]
        counts = block.counts[kept]
        rows = block.rows[per_pick]
        pick_users = np.repeat(np.arange(len(users)), counts)
        evidence = self.catalog.evidence.find(
            [keys[user.cv_id] for user in users], pick_users, rows
        )
        return NewLists(
            user_ids=[user.user_id for user in users],
            named_cv_ids=[user.named_cv_id for user in users],
            cv_ids=[user.cv_id for user in users],
            counts=counts,
            job_ids=self.catalog.ids[rows],
            scores=block.scores[per_pick],
            evidence=evidence,
            fits=[fit for fit, keep in zip(block.fits, per_pick.tolist(), strict=True) if keep],
        )

    def _cv_keys(self, cv_ids: list[int]) -> dict[int, npt.NDArray[np.int64]]:
        """These CVs' stored term keys by id. A CV deleted since it was scored has none
        (profiles go with their CV), and its owner keeps the list they had."""
        rows = tp.cv_keys(self._conn, cv_ids, PROFILE_VERSION)
        return {row.owner_id: term_keys(row.term_keys) for row in rows}
