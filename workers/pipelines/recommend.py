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
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import numpy as np

from embeddings.lexical import compile_kernels
from embeddings.reasons import location_fit
from embeddings.topk import normalise
from schema.database import Connection, connection
from schema.queries import generation_reads as q
from schema.queries.models import EmbeddingModel, active_model
from workers.pipelines.experiments import serving_arms
from workers.pipelines.recommend_catalog import load_catalog
from workers.pipelines.recommend_feedback import with_feedback
from workers.pipelines.recommend_options import RecommendOptions
from workers.pipelines.recommend_pick import Picker
from workers.pipelines.recommend_write import BlockPicks, ListWriter, Stamp
from workers.pipelines.text_profiles import prepare_texts

__all__ = ["RecommendOptions", "RecommendSummary", "generate", "generate_for_user"]

Progress = Callable[[int, int], None]  # (users done, users in all), after each commit


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
    with connection(url, autocommit=True) as conn, ExitStack() as ready:
        model = active_model(conn)
        if model is None:
            summary.skipped = "no active embedding model: run `jobmatch embed` first"
            return summary
        ready.enter_context(_kernels_ready(options))  # only once there is work to do
        summary.model = model.name
        # Scoring reads stored profiles (reasons) and word counts (the lexical score):
        # make any that are missing first (new texts, or all after their rules changed).
        summary.profiled = prepare_texts(conn)
        read_users = partial(
            q.users_to_recommend, conn, user_ids=user_ids, shard=shard, shards=shards
        )
        run = partial(_Run, url, conn, options=options, now=now, summary=summary, progress=progress)
        for arm_model, arm in serving_arms(conn, model):  # one, or two during an experiment
            users, vectors = read_users(arm_model.id, arm_model.dimension, arm=arm)
            if users:
                if options.feedback:
                    vectors = with_feedback(conn, arm_model, users, vectors)
                run(model=arm_model).execute(users, vectors)
        if summary.users == 0:
            summary.skipped = "no user has a CV embedded under the active model"
    return summary


@contextmanager
def _kernels_ready(options: RecommendOptions) -> Iterator[None]:
    """Load the lexical score's compiled code on a thread while the run reads its users
    and their feedback: in a new process numba takes ~0.5 s to import and start (~10 s
    to compile on a machine that has not cached it yet)."""
    if not options.lexical_weight:
        yield
        return
    with ThreadPoolExecutor(1) as pool:
        pool.submit(compile_kernels)
        yield


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
            lexicon_from = self.url if self.options.lexical_weight > 0 else None
            self.catalog = load_catalog(self.conn, self.model, since, lexicon_from=lexicon_from)
        self.picker = Picker(self.conn, self.model, self.catalog, self.options, since)
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
            counts, rows, scores = self.picker.pick(block, queries)
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
