"""Explaining and storing blocks of picks: in this process, or in worker processes.

Scoring is torch and numpy; explaining is pure Python (profiles, set look-ups, strings)
and so is formatting the COPY. With explaining and writing in worker processes, the run
uses every core: the generating process scores the next block while a worker explains
and writes the last one, and neither waits on the other's GIL. Each worker keeps its own
connection and its job profiles across blocks; profiles come from the database
(`text_profiles`, made when the texts are embedded), and any missing is made here. Each
block's lists are replaced in one transaction (`replace_lists`), so every user's list is
old or new, never mixed.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import compress

from embeddings.reasons import PROFILE_VERSION, TextProfile, explain, from_json
from schema.database import connect
from schema.queries import recommendations as q
from schema.queries import text_profiles as tp
from schema.queries.recommendation_lists import NewList, replace_lists
from workers.pipelines.text_profiles import profile_cvs, profile_jobs

Written = Callable[[int, int], None]  # (users in the block, recommendations), after commit


@dataclass(frozen=True, slots=True)
class UserPicks:
    """One user's chosen jobs, best first, with what each job's place has to do with
    the user's wishes (see `location_fit`)."""

    user_id: int
    cv_id: int
    job_ids: list[int]
    scores: list[float]
    fits: list[str | None]


@dataclass(frozen=True)
class Stamp:
    """What every list of one run shares."""

    model_id: int
    generated_at: datetime
    expires_at: datetime
    # Jobs posted since then are the run's candidates (see `Explainer.preload`).
    candidates_since: datetime


@dataclass(frozen=True)
class BlockDone:
    users: int
    recommendations: int
    profile_seconds: float  # reading (or making) job profiles: once per process, mostly
    explain_seconds: float
    write_seconds: float


class Explainer:
    """Explains and writes blocks on one connection; profiles each job once."""

    def __init__(self, conn: q.Connection, stamp: Stamp) -> None:
        self.conn, self.stamp = conn, stamp
        self.conn.autocommit = True  # replace_lists opens one transaction per block
        self.profiles: dict[int, TextProfile] = {}
        self.profile_seconds = 0.0  # not yet reported in a `BlockDone`

    def preload(self) -> None:
        """Read the profiles of every job the run may pick, before the first block: a
        worker process does this while the generating process scores that block."""
        started = time.perf_counter()
        stamp = self.stamp
        self._keep(
            tp.catalog_job_profiles(
                self.conn, stamp.model_id, stamp.candidates_since, PROFILE_VERSION
            )
        )
        self.profile_seconds += time.perf_counter() - started

    def run(self, block: Sequence[UserPicks]) -> BlockDone:
        """Explain the block's picks and replace its users' lists in one transaction."""
        started = time.perf_counter()
        self._profile_jobs({job for user in block for job in user.job_ids})
        profiled = time.perf_counter()
        self.profile_seconds += profiled - started
        lists = self._lists(block)
        explained = time.perf_counter()
        written = replace_lists(
            self.conn,
            [new.user_id for new in lists],  # a user whose CV vanished keeps the old list
            lists,
            model_id=self.stamp.model_id,
            generated_at=self.stamp.generated_at,
            expires_at=self.stamp.expires_at,
        )
        done = time.perf_counter()
        profile_seconds, self.profile_seconds = self.profile_seconds, 0.0
        return BlockDone(
            len(lists), written, profile_seconds, explained - profiled, done - explained
        )

    def _lists(self, block: Sequence[UserPicks]) -> list[NewList]:
        """The block's new lists, a reason for every pick whose job still exists and is
        profiled (`run` profiles them first); none for a user whose CV was deleted since
        it was scored."""
        cvs = self._cv_profiles([user.cv_id for user in block])
        profiles, lists = self.profiles, []
        for user in block:
            if (cv := cvs.get(user.cv_id)) is None:
                continue
            jobs = [profiles.get(job_id) for job_id in user.job_ids]
            new = NewList(
                user.user_id,
                user.job_ids,
                user.scores,
                [explain(cv, job, fit) for job, fit in zip(jobs, user.fits, strict=True) if job],
            )
            if len(new.reasons) < len(jobs):  # some were deleted since they were scored
                kept = [job is not None for job in jobs]
                new = replace(
                    new,
                    job_ids=list(compress(user.job_ids, kept)),
                    scores=list(compress(user.scores, kept)),
                )
            lists.append(new)
        return lists

    def _profile_jobs(self, job_ids: set[int]) -> None:
        """Profiles of these jobs into `self.profiles`: stored ones (the embed step makes
        them), else made and stored now."""
        missing = [job_id for job_id in job_ids if job_id not in self.profiles]
        self._keep(tp.job_profiles(self.conn, missing, PROFILE_VERSION))
        if unprofiled := [job_id for job_id in missing if job_id not in self.profiles]:
            self.profiles.update(profile_jobs(self.conn, tp.job_texts(self.conn, unprofiled)))

    def _keep(self, stored: Sequence[tp.StoredProfile]) -> None:
        """Decode stored job profiles into `self.profiles`."""
        for row in stored:
            self.profiles[row.owner_id] = from_json(row.profile)

    def _cv_profiles(self, cv_ids: list[int]) -> dict[int, TextProfile]:
        """These CVs' profiles by id: stored, else made and stored now."""
        found = {
            row.owner_id: from_json(row.profile)
            for row in tp.cv_profiles(self.conn, cv_ids, PROFILE_VERSION)
        }
        if missing := [cv_id for cv_id in cv_ids if cv_id not in found]:
            found.update(profile_cvs(self.conn, tp.cv_texts(self.conn, missing)))
        return found


class ListStore:
    """Explains and writes blocks in submission order: in the caller's thread on its
    connection `conn` (`processes=0`), or in worker processes while the caller scores
    the next block.

    The first error stops the run: blocks not yet started are cancelled, blocks already
    being written commit or roll back whole, and the error is raised in the caller.
    """

    def __init__(
        self, conn: q.Connection, url: str, stamp: Stamp, on_written: Written, *, processes: int
    ) -> None:
        self.on_written = on_written
        self.seconds = {"profiles": 0.0, "reasons": 0.0, "write": 0.0}
        self._pending: deque[Future[BlockDone | None]] = deque()
        self._explainer: Explainer | None = None
        self._pool: ProcessPoolExecutor | None = None
        # A daemonic process (some job runners) may not start children.
        if processes > 0 and not multiprocessing.current_process().daemon:
            self._pool = ProcessPoolExecutor(
                processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(url, stamp),
            )
            self._backlog = 2 * processes
            # Start every worker now (a pool starts one per task while none is idle): each
            # reads the job profiles while the caller loads the catalog and scores.
            self._pending.extend(self._pool.submit(_nothing) for _ in range(processes))
        else:
            self._explainer = Explainer(conn, stamp)

    def submit(self, block: list[UserPicks]) -> None:
        """Explain and write `block` (now, or queued to a worker)."""
        if self._explainer is not None:
            self._done(self._explainer.run(block))
            return
        assert self._pool is not None
        self._pending.append(self._pool.submit(_explain_and_write, block))
        while len(self._pending) > self._backlog:
            self._done(self._pending.popleft().result())

    def close(self) -> None:
        """Wait for every block; raise the first error."""
        try:
            while self._pending:
                self._done(self._pending.popleft().result())
        finally:
            self.abort()

    def abort(self) -> None:
        """Cancel blocks not started; let blocks being written finish; release all."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._explainer = None  # its connection is the caller's

    def _done(self, done: BlockDone | None) -> None:
        if done is None:
            return  # the warm-up task
        self.seconds["profiles"] += done.profile_seconds
        self.seconds["reasons"] += done.explain_seconds
        self.seconds["write"] += done.write_seconds
        self.on_written(done.users, done.recommendations)


# The worker process's explainer, made once by the pool's initializer.
_WORKER: dict[str, Explainer] = {}


def _start_worker(url: str, stamp: Stamp) -> None:
    explainer = _WORKER["explainer"] = Explainer(connect(url), stamp)
    explainer.preload()


def _nothing() -> None:
    return None


def _explain_and_write(block: list[UserPicks]) -> BlockDone:
    return _WORKER["explainer"].run(block)
