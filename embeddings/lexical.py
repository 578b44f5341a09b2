"""The lexical half of the nightly score: Okapi BM25 of a CV's most telling words in each job.

Each job's and CV's words are counted once, when it is embedded (`term_counts`: the
BM25 tokenizer over the same text the product embeds, each word known by a 64-bit key).
At night the catalog's counts become BM25 weights (idf over the catalog, saturated term
frequency, length normalisation), and each CV becomes its `query_terms` most telling
words (log term frequency × idf among the catalog's words). A CV's lexical score for a
job is the sum of the job's weights of those words, divided by the CV's best score in
the catalog, so it lies in [0, 1]. A block of CVs is scored against the whole catalog
in one sparse product, so the nightly top-k stays exact under the combined score.

Keeping a CV's most telling words, rather than all of them, keeps the product cheap: the
dropped words are the common ones, which every job shares and which add work to every
pair while moving the ranking little (docs/evaluation.md has the measurements).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import blake2b

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from embeddings.bm25 import tokenize

Keys = npt.NDArray[np.int64]
Counts = npt.NDArray[np.int32]
K1, B = 1.2, 0.75
QUERY_TERMS = 40


@dataclass(frozen=True)
class TermCounts:
    """A text's distinct words (keys, ascending) with how often each occurs."""

    keys: Keys
    counts: Counts

    @property
    def length(self) -> int:
        return int(self.counts.sum())

    def to_bytes(self) -> tuple[bytes, bytes]:
        """(keys, counts) as stored: little-endian int64 and int32."""
        return self.keys.astype("<i8").tobytes(), self.counts.astype("<i4").tobytes()

    @classmethod
    def from_bytes(cls, keys: bytes, counts: bytes) -> TermCounts:
        return cls(
            np.frombuffer(keys, dtype="<i8").astype(np.int64),
            np.frombuffer(counts, dtype="<i4").astype(np.int32),
        )


def word_key(word: str) -> int:
    """A word's 64-bit key (stable across processes and machines)."""
    return int.from_bytes(blake2b(word.encode(), digest_size=8).digest(), "little", signed=True)


def term_counts(text: str) -> TermCounts:
    """The words of `text` as BM25 reads them, counted."""
    counted = Counter(word_key(word) for word in tokenize(text))
    keys = np.array(sorted(counted), dtype=np.int64)
    return TermCounts(keys, np.array([counted[k] for k in keys.tolist()], dtype=np.int32))


class LexicalIndex:
    """The catalog's jobs as rows of BM25 weights, ready to score blocks of CVs."""

    def __init__(self, jobs: Sequence[TermCounts], *, query_terms: int = QUERY_TERMS) -> None:
        self.query_terms = query_terms
        flat = np.concatenate([j.keys for j in jobs]) if jobs else np.empty(0, np.int64)
        self.vocabulary, columns = np.unique(flat, return_inverse=True)
        frequency = np.bincount(columns, minlength=len(self.vocabulary))
        count = max(len(jobs), 1)
        self.idf = np.log1p((count - frequency + 0.5) / (frequency + 0.5)).astype(np.float32)
        lengths = np.array([j.length for j in jobs], dtype=np.float32)
        average = float(lengths.mean()) if len(jobs) else 1.0
        tf = np.concatenate([j.counts for j in jobs]).astype(np.float32) if jobs else flat
        rows = np.repeat(np.arange(len(jobs)), [len(j.keys) for j in jobs])
        norm = K1 * (1 - B + B * lengths[rows] / max(average, 1e-9))
        weights = self.idf[columns] * tf * (K1 + 1) / (tf + norm)
        shape = (len(self.vocabulary), len(jobs))
        # Terms × jobs, so a block of CV rows times it is (CVs × jobs).
        self._weights = _canonical(
            sp.csr_matrix((weights.astype(np.float32), (columns, rows)), shape=shape)
        )

    def __len__(self) -> int:
        return int(self._weights.shape[1])

    def cv_rows(self, cvs: Sequence[TermCounts]) -> sp.csr_matrix:
        """Each CV as 0/1 over its `query_terms` most telling catalog words."""
        rows: list[npt.NDArray[np.int64]] = []
        columns: list[npt.NDArray[np.int64]] = []
        for row, cv in enumerate(cvs):
            chosen = self._telling(cv)
            rows.append(np.full(len(chosen), row, dtype=np.int64))
            columns.append(chosen)
        flat_rows = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
        flat_columns = np.concatenate(columns) if columns else np.empty(0, dtype=np.int64)
        data = np.ones(len(flat_rows), dtype=np.float32)
        shape = (len(cvs), len(self.vocabulary))
        return _canonical(sp.csr_matrix((data, (flat_rows, flat_columns)), shape=shape))

    def _telling(self, cv: TermCounts) -> npt.NDArray[np.int64]:
        """Catalog columns of the CV's most telling words (ties: the smaller key)."""
        at = np.searchsorted(self.vocabulary, cv.keys)
        inside = at < len(self.vocabulary)
        at, counts, keys = at[inside], cv.counts[inside], cv.keys[inside]
        known = self.vocabulary[at] == keys
        at, counts = at[known], counts[known]
        value = (1.0 + np.log(counts.astype(np.float64))) * self.idf[at]
        order = np.lexsort((at, -value))[: self.query_terms]
        chosen: npt.NDArray[np.int64] = at[order].astype(np.int64)
        return chosen

    def scores(self, cvs: sp.csr_matrix) -> npt.NDArray[np.float32]:
        """(CVs × jobs) BM25 of each CV's words in each job, over the CV's best job."""
        raw = np.asarray((cvs @ self._weights).toarray(), dtype=np.float32)
        best = raw.max(axis=1, keepdims=True) if raw.shape[1] else raw[:, :0]
        return np.asarray(raw / np.maximum(best, np.float32(1e-9)), dtype=np.float32)


def _canonical(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """`matrix` with sorted indices and no duplicates, made so once: scipy otherwise sorts
    a matrix's indices in place the first time an operation needs them, and two scoring
    threads doing so on one matrix at once corrupt it."""
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix
