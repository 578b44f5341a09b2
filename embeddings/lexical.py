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


class TermTable:
    """Many texts' counts end to end, as the index reads them: every text's keys in one
    array, its counts in another, and how many distinct words each text has. Built from
    stored bytes with one join per column, not one small array per text."""

    def __init__(self, keys: Keys, counts: Counts, sizes: npt.NDArray[np.int64]) -> None:
        self.keys, self.counts, self.sizes = keys, counts, sizes

    def __len__(self) -> int:
        return len(self.sizes)

    @classmethod
    def of(cls, texts: Sequence[TermCounts]) -> TermTable:
        return cls.from_bytes([t.to_bytes() for t in texts])

    @classmethod
    def from_bytes(cls, stored: Sequence[tuple[bytes, bytes]]) -> TermTable:
        """From each text's stored (keys, counts), in order."""
        keys = np.frombuffer(b"".join(k for k, _ in stored), dtype="<i8").astype(np.int64)
        counts = np.frombuffer(b"".join(c for _, c in stored), dtype="<i4").astype(np.int32)
        sizes = np.fromiter((len(k) // 8 for k, _ in stored), dtype=np.int64, count=len(stored))
        return cls(keys, counts, sizes)

    def rows(self, start: int, stop: int) -> TermTable:
        """The texts `start` to `stop` (views, not copies)."""
        first, last = int(self.sizes[:start].sum()), int(self.sizes[:stop].sum())
        return TermTable(self.keys[first:last], self.counts[first:last], self.sizes[start:stop])


class LexicalIndex:
    """The catalog's jobs as rows of BM25 weights, ready to score blocks of CVs.

    Built by the compiled helpers of `embeddings.lexical_kernel` in a few passes over the
    catalog's keys, with no sorted or per-entry float copy of them."""

    def __init__(
        self, jobs: TermTable | Sequence[TermCounts], *, query_terms: int = QUERY_TERMS
    ) -> None:
        # numba (~0.2 s to import): only where an index is built, not in the API.
        from embeddings import lexical_kernel as kernel

        self.query_terms = query_terms
        table = jobs if isinstance(jobs, TermTable) else TermTable.of(jobs)
        self._slot_keys, self._slot_columns, self.vocabulary = kernel.word_table(table.keys)
        columns = kernel.word_columns(self._slot_keys, self._slot_columns, table.keys)
        frequency = np.bincount(columns, minlength=len(self.vocabulary))
        count = max(len(table), 1)
        self.idf = np.log1p((count - frequency + 0.5) / (frequency + 0.5)).astype(np.float32)
        lengths = kernel.text_lengths(table.counts, table.sizes)
        average = float(lengths.mean()) if len(table) else 1.0
        norm = (K1 * (1 - B + B * lengths / max(average, 1e-9))).astype(np.float32)
        starts, texts, weights = kernel.term_major_weights(
            columns, (table.counts, table.sizes), self.idf, norm, np.float32(K1 + 1)
        )
        # Terms × jobs, so a block of CV rows times it is (CVs × jobs).
        shape = (len(self.vocabulary), len(table))
        self._weights = _canonical(sp.csr_matrix((weights, texts, starts), shape=shape))

    def __len__(self) -> int:
        return int(self._weights.shape[1])

    def cv_rows(self, cvs: TermTable | Sequence[TermCounts]) -> sp.csr_matrix:
        """Each CV as 0/1 over its `query_terms` most telling catalog words (log term
        frequency × idf; ties: the smaller column)."""
        from embeddings import lexical_kernel as kernel

        table = cvs if isinstance(cvs, TermTable) else TermTable.of(cvs)
        columns = kernel.word_columns(self._slot_keys, self._slot_columns, table.keys)
        starts, chosen = kernel.telling_words(
            columns, table.counts, table.sizes, self.idf, self.query_terms
        )
        data = np.ones(len(chosen), dtype=np.float32)
        shape = (len(table), len(self.vocabulary))
        return _canonical(sp.csr_matrix((data, chosen, starts), shape=shape))

    def combine(self, scores: npt.NDArray[np.float32], cvs: sp.csr_matrix, weight: float) -> None:
        """`scores = (scores + weight × self.scores(cvs)) / (1 + weight)`, in place, by the
        compiled kernel (the nightly run's inner loop; `embeddings.lexical_kernel`): the
        nightly score, in [-1, 1] like the cosines it starts from."""
        from embeddings import lexical_kernel as kernel

        scale = np.float32(1.0 / (1.0 + weight))
        kernel.combine_rows(scores, cvs, self._weights, weight, scale)

    def scores(self, cvs: sp.csr_matrix, *, weight: float = 1.0) -> npt.NDArray[np.float32]:
        """(CVs × jobs) BM25 of each CV's words in each job, over the CV's best job, times
        `weight` (applied in the same pass: the nightly run adds it to the cosines)."""
        raw: npt.NDArray[np.float32] = (cvs @ self._weights).toarray()
        if raw.shape[1]:
            best = raw.max(axis=1, keepdims=True)
            raw *= np.float32(weight) / np.maximum(best, np.float32(1e-9))
        return raw


def compile_kernels() -> None:
    """Compile every compiled part of the lexical score (or load it from numba's cache
    on disk) on a tiny catalog: run where an image is built, so no container spends
    ~10 s compiling at its first nightly run."""
    index = LexicalIndex([term_counts("python developer"), term_counts("nurse")])
    cvs = index.cv_rows([term_counts("python nurse")])
    index.combine(np.zeros((1, len(index)), dtype=np.float32), cvs, 0.5)


def _canonical(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """`matrix` with sorted indices and no duplicates, made so once: scipy otherwise sorts
    a matrix's indices in place the first time an operation needs them, and two scoring
    threads doing so on one matrix at once corrupt it."""
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix
