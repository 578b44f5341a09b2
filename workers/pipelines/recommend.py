"""Daily top-50 per user: exact batched cosine, filters, company cap, reasons, atomic write.

One pass reads every candidate job vector once (posted in the last 7 days, embedded under
the active model), scores a block of users against all of them in one matrix product,
masks each user's applied/down-voted jobs and preference misfits, keeps the best
`candidates` per user, applies the company cap, finds each pick's evidence for its
reason, and replaces the block's lists in one transaction (one row per user, written
with COPY) while the next block is scored.
`strategy="pgvector"` swaps the scoring for one HNSW query per user: the baseline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt

from embeddings.diversity import DEFAULT_COMPANY_CAP, capped_selection
from embeddings.reasons import location_fit
from embeddings.topk import TopK, blocked_top_k, full_ranking, normalise
from schema.database import Connection, connection
from schema.queries import generation_reads as q
from schema.queries.models import EmbeddingModel, active_model
from workers.pipelines.recommend_catalog import load_catalog
from workers.pipelines.recommend_write import BlockPicks, ListWriter, Stamp
from workers.pipelines.text_profiles import profile_pending

Strategy = Literal["exact", "pgvector"]
Progress = Callable[[int, int], None]  # (users done, users in all), after each commit


@dataclass(frozen=True)
class RecommendOptions:
    """Knobs of a generation run; the defaults are the product's."""

    limit: int = 50
    company_cap: int = DEFAULT_COMPANY_CAP
    # Per user, before the cap; a row that runs short is redone from a full ranking
    # (rare: 100 is plenty for a cap of 3).
    candidates: int = 100
    block_size: int = 1000  # users scored, explained and committed together
    # Write each block on a thread while the next is scored (a one-block run writes here).
    write_behind: bool = True
    max_age: timedelta = timedelta(days=7)
    ttl: timedelta = timedelta(days=3)
    strategy: Strategy = "exact"


@dataclass
class RecommendSummary:
    """What a run did, for the CLI, the run log and the API."""

    users: int = 0
    recommendations: int = 0
    candidate_jobs: int = 0
    model: str | None = None
    profiled: int = 0
    skipped: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, object]:
        """The summary as `task_runs.counts`."""
        counts: dict[str, object] = {
            "users": self.users,
            "recommendations": self.recommendations,
            "candidate_jobs": self.candidate_jobs,
            "model": self.model,
        }
        if self.profiled:
            counts["profiled"] = self.profiled
        if self.skipped:
            counts["skipped"] = self.skipped
        return counts


def generate_for_user(
    url: str, user_id: int, *, options: RecommendOptions | None = None
) -> RecommendSummary:
    """Recompute one user's list now (a new CV, or the manual trigger)."""
    return generate(url, user_ids=[user_id], options=options)


def generate(
    url: str,
    *,
    user_ids: Sequence[int] | None = None,
    shard: int = 0,
    shards: int = 1,
    options: RecommendOptions | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> RecommendSummary:
    """Replace the lists of every user with an embedded CV (or only `user_ids`, or one
    shard `user_id % shards == shard`). A user without one is left alone."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} of {shards}: need 0 <= shard < shards")
    options = options or RecommendOptions()
    now = now or datetime.now(UTC)
    summary = RecommendSummary()
    # Autocommit: each block commits on its own, so a crash keeps the finished blocks.
    with connection(url, autocommit=True) as conn:
        model = active_model(conn)
        if model is None:
            summary.skipped = "no active embedding model: run `jobmatch embed` first"
            return summary
        summary.model = model.name
        # Reasons read stored text profiles: make any that are missing first (new texts,
        # or all of them after the profiling changed), so scoring only reads.
        summary.profiled = profile_pending(conn)
        users, vectors = q.users_to_recommend(
            conn, model.id, model.dimension, user_ids=user_ids, shard=shard, shards=shards
        )
        if not users:
            summary.skipped = "no user has a CV embedded under the active model"
            return summary
        run = _Run(
            url, conn, model=model, options=options, now=now, summary=summary, progress=progress
        )
        run.execute(users, vectors)
    return summary


Picks = list[tuple[int, float]]  # one user's (catalog row, score), best first
# A block's picks end to end: (count per user, catalog rows, scores).
FlatPicks = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]


def _flatten(lists: list[Picks]) -> FlatPicks:
    return (
        np.array([len(picks) for picks in lists], dtype=np.int64),
        np.array([row for picks in lists for row, _ in picks], dtype=np.int64),
        np.array([score for picks in lists for _, score in picks], dtype=np.float32),
    )


class _Run:
    """One generation run's state: the catalog, and timings per stage."""

    def __init__(
        self,
        url: str,
        conn: Connection,
        *,
        model: EmbeddingModel,
        options: RecommendOptions,
        now: datetime,
        summary: RecommendSummary,
        progress: Progress | None,
    ) -> None:
        self.url, self.conn, self.model = url, conn, model
        self.options, self.now = options, now
        self.summary, self.progress = summary, progress
        self.timer = _Timer(summary.seconds)

    def execute(self, users: list[q.UserQuery], vectors: np.ndarray) -> None:
        since = self.now - self.options.max_age
        with self.timer("load"):
            self.catalog = load_catalog(self.conn, self.model, since)
        self.summary.candidate_jobs = len(self.catalog.ids)
        writer = ListWriter(
            self.conn,
            self.url,
            self.catalog,
            Stamp(self.model.id, self.now, self.now + self.options.ttl),
            lambda done, rows: self._written(done, rows, len(users)),
            behind=self.options.write_behind and len(users) > self.options.block_size,
        )
        try:
            queries = normalise(vectors)
            for start in range(0, len(users), self.options.block_size):
                block = users[start : start + self.options.block_size]
                picks = self._block_picks(block, queries[start : start + len(block)])
                with self.timer("handoff"):
                    writer.submit(picks)
            with self.timer("handoff"):
                writer.close()
        finally:
            writer.abort()
        self.summary.seconds.update(writer.seconds)

    def _block_picks(self, block: list[q.UserQuery], queries: np.ndarray) -> BlockPicks:
        """Each user's chosen jobs with scores and location fits."""
        with self.timer("load"):
            self.catalog.prepare_users(self.conn, [u.user_id for u in block])
        with self.timer("score"):
            counts, rows, scores = self._pick(block, queries)
            # Without wishes a fit is only "remote" or nothing: one pass for the block.
            fits = ["remote" if far else None for far in self.catalog.remote[rows].tolist()]
            starts = (np.cumsum(counts) - counts).tolist()
            for user, start, count in zip(block, starts, counts.tolist(), strict=True):
                wishes = self.catalog.filters.get(user.user_id)
                if wishes is not None:
                    fits[start : start + count] = self._fits(wishes, rows[start : start + count])
            return BlockPicks(block, counts, rows, scores, fits)

    def _fits(self, wishes: q.UserFilter, rows: np.ndarray) -> list[str | None]:
        """What each picked job's place has to do with the user's wishes."""
        places, remote = self.catalog.locations, self.catalog.remote
        return [
            location_fit(places[row], bool(remote[row]), wishes.locations, wishes.remote_only)
            for row in rows.tolist()
        ]

    def _written(self, users: int, rows: int, total: int) -> None:
        """After each committed block (whichever process wrote it)."""
        self.summary.users += users
        self.summary.recommendations += rows
        if self.progress is not None:
            self.progress(self.summary.users, total)

    def _pick(self, users: list[q.UserQuery], queries: np.ndarray) -> FlatPicks:
        """The users' chosen jobs, best first, end to end: (count per user, catalog rows,
        scores)."""
        if self.options.strategy == "pgvector":
            return _flatten(
                [
                    self._pick_pgvector(user, query)
                    for user, query in zip(users, queries, strict=True)
                ]
            )
        user_ids = [u.user_id for u in users]

        def mask(first: int, scores: np.ndarray) -> None:
            rows, columns = self._ban(user_ids[first : first + len(scores)])
            scores[rows, columns] = -np.inf

        (top,) = blocked_top_k(
            queries,
            self.catalog.vectors,
            self.options.candidates,
            block_size=len(users),
            adjust=mask,
        )
        return self._select(top, user_ids, queries)

    def _ban(self, user_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(row, catalog row) pairs these users (rows of a block) must not get."""
        banned = [self.catalog.banned(user_id) for user_id in user_ids]
        rows = np.repeat(np.arange(len(banned), dtype=np.int64), [len(b) for b in banned])
        cols = np.concatenate(banned) if banned else np.empty(0, dtype=np.int64)
        return rows, cols.astype(np.int64)

    def _select(self, top: TopK, user_ids: list[int], queries: np.ndarray) -> FlatPicks:
        """Apply the company cap to a block's candidates; redo in full a row that ran out
        while more jobs were left."""
        catalog, options = self.catalog, self.options
        valid = np.isfinite(top.scores)
        keep = capped_selection(
            catalog.codes[top.indices], valid, options.company_cap, options.limit
        )
        counts = keep.sum(axis=1).astype(np.int64)
        redo = (counts < options.limit) & valid.all(axis=1)
        redo &= top.indices.shape[1] < len(catalog.ids)
        picked = (counts, top.indices[keep], top.scores[keep])
        if not redo.any():
            return picked
        ends = np.cumsum(counts)
        per_user = [
            (rows.tolist(), scores.tolist())
            for rows, scores in zip(
                np.split(picked[1], ends[:-1]), np.split(picked[2], ends[:-1]), strict=True
            )
        ]
        lists = [list(zip(rows, scores, strict=True)) for rows, scores in per_user]
        for row in np.flatnonzero(redo).tolist():
            lists[row] = self._pick_full(user_ids[top.start + row], queries[top.start + row])
        return _flatten(lists)

    def _pick_full(self, user_id: int, query: np.ndarray) -> Picks:
        """One user's picks from a full fp32 ranking (rows whose candidates fell short)."""
        catalog, options = self.catalog, self.options
        scores, indices = full_ranking(query, catalog.vectors)
        catalog.mask_ranked(user_id, scores, indices)
        kept = capped_selection(
            catalog.codes[indices][None, :],
            np.isfinite(scores)[None, :],
            options.company_cap,
            options.limit,
        )[0]
        return list(zip(indices[kept].tolist(), scores[kept].tolist(), strict=True))

    def _pick_pgvector(self, user: q.UserQuery, query: np.ndarray) -> Picks:
        """The baseline: the user's nearest jobs from the HNSW index, then the same
        preference filter and company cap."""
        found = q.nearest_jobs_pgvector(
            self.conn,
            model_id=self.model.id,
            dimension=self.model.dimension,
            user_id=user.user_id,
            query=query,
            since=self.now - self.options.max_age,
            limit=self.options.candidates,
        )
        rows = np.array([self.catalog.row_of.get(f.job_id, -1) for f in found], dtype=np.int64)
        scores = np.array([f.score for f in found], dtype=np.float32)
        scores[rows < 0] = -np.inf  # posted after the catalog was read: not a candidate
        rows[rows < 0] = 0
        self.catalog.mask_ranked(user.user_id, scores, rows)
        kept = capped_selection(
            self.catalog.codes[rows][None, :],
            np.isfinite(scores)[None, :],
            self.options.company_cap,
            self.options.limit,
        )[0]
        return [(int(i), float(s)) for i, s in zip(rows[kept], scores[kept], strict=True)]


class _Timer:
    """Adds the wall time of each `with timer(stage)` to `seconds[stage]`."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[stage] = self.seconds.get(stage, 0.0) + elapsed
