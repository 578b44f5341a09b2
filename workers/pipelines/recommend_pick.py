"""Choosing each user's jobs from the scored catalog: exact top candidates under the
nightly score (the dense cosine combined with the lexical signal, `_combine`), the
user's exclusions, the company cap, and a full re-ranking for a row that ran short.

`strategy="pgvector"` swaps the exact scoring for one HNSW query per user: the baseline.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from embeddings.diversity import capped_selection
from embeddings.lexical import TermTable
from embeddings.topk import TopK, blocked_top_k
from schema.database import Connection
from schema.queries import generation_reads as q
from schema.queries import text_terms as tt
from schema.queries.models import EmbeddingModel
from workers.pipelines.recommend_catalog import Catalog
from workers.pipelines.recommend_options import RecommendOptions

Picks = list[tuple[int, float]]  # one user's (catalog row, score), best first
# A block's picks end to end: (count per user, catalog rows, scores).
FlatPicks = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]


def _flatten(lists: list[Picks]) -> FlatPicks:
    return (
        np.array([len(picks) for picks in lists], dtype=np.int64),
        np.array([row for picks in lists for row, _ in picks], dtype=np.int64),
        np.array([score for picks in lists for _, score in picks], dtype=np.float32),
    )


class Picker:
    """Picks for blocks of users against one catalog, under one run's options."""

    def __init__(
        self,
        conn: Connection,
        model: EmbeddingModel,
        catalog: Catalog,
        options: RecommendOptions,
        since: datetime,
    ) -> None:
        self.conn, self.model, self.catalog = conn, model, catalog
        self.options, self.since = options, since
        self.lexicon = catalog.lexicon if options.lexical_weight else None

    def pick(self, users: list[q.UserQuery], queries: np.ndarray) -> FlatPicks:
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
        words = None if self.lexicon is None else self._cv_words(users)

        def mask(first: int, scores: np.ndarray) -> None:
            # On the scoring threads: each picks its own rows' telling words.
            self._combine(scores, self._terms(words, first, first + len(scores)))
            rows, columns = self._ban(user_ids[first : first + len(scores)])
            scores[rows, columns] = -np.inf

        (top,) = blocked_top_k(
            queries,
            self.catalog.vectors,
            self.options.candidates,
            block_size=len(users),
            adjust=mask,
        )
        return self._select(top, user_ids, queries, words)

    def _cv_words(self, users: list[q.UserQuery]) -> TermTable:
        """The users' CVs' stored word counts (a CV not counted yet has none, and gets
        the dense score alone)."""
        stored = {
            row.owner_id: (row.keys, row.counts)
            for row in tt.cv_terms(self.conn, [user.cv_id for user in users])
        }
        return TermTable.from_bytes([stored.get(user.cv_id, (b"", b"")) for user in users])

    def _terms(self, words: TermTable | None, start: int, stop: int) -> sp.csr_matrix | None:
        """Rows `start` to `stop` of the block as rows over the catalog's words."""
        if words is None or self.lexicon is None:
            return None
        return self.lexicon.cv_rows(words.rows(start, stop))

    def _combine(self, scores: np.ndarray, terms: sp.csr_matrix | None) -> None:
        """Turn cosines into the nightly score, in place: (cosine + w · lexical) / (1 + w),
        in [-1, 1] like a cosine, for every job of the catalog (`embeddings.lexical`)."""
        if self.lexicon is not None and terms is not None:
            self.lexicon.combine(scores, terms, self.options.lexical_weight)

    def _ban(self, user_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(row, catalog row) pairs these users (rows of a block) must not get."""
        banned = [self.catalog.banned(user_id) for user_id in user_ids]
        rows = np.repeat(np.arange(len(banned), dtype=np.int64), [len(b) for b in banned])
        cols = np.concatenate(banned) if banned else np.empty(0, dtype=np.int64)
        return rows, cols.astype(np.int64)

    def _select(
        self, top: TopK, user_ids: list[int], queries: np.ndarray, words: TermTable | None
    ) -> FlatPicks:
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
            at = top.start + row
            terms = self._terms(words, at, at + 1)
            lists[row] = self._pick_full(user_ids[at], queries[at], terms)
        return _flatten(lists)

    def _pick_full(self, user_id: int, query: np.ndarray, terms: sp.csr_matrix | None) -> Picks:
        """One user's picks from a full fp32 ranking (rows whose candidates fell short)."""
        catalog, options = self.catalog, self.options
        combined = (catalog.vectors @ query.reshape(-1)).astype(np.float32)[None, :]
        self._combine(combined, terms)
        indices = np.argsort(-combined[0], kind="stable").astype(np.int64)
        scores = combined[0][indices]
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
            since=self.since,
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
