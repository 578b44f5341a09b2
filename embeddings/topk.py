"""Exact nearest neighbours for many queries at once: blocked matrix products + top-k.

Scores are cosine similarities: both sides are L2-normalised here, so a dot product is
the cosine. A block of queries is split over one thread per core; each thread scores its
rows against every item in one fp32 matrix product (BLAS on that thread alone), lets the
caller mask them (filters, exclusions) in place, and selects each row's best `k`
exactly. Nothing here knows about users or jobs.

Selection samples every 16th score of a row to find a threshold that about `2k` scores
reach, keeps the scores at or above it (one vectorised comparison) and sorts only those;
a row where fewer than `k` reach it is partitioned in full, so the result is always
exact. This selection costs a fraction of numpy's `argpartition` over whole rows. torch
is not used: importing it in every fresh worker process costs more than its faster
selection and bf16 products save, and bf16 scores would need an exact re-score. Figures:
docs/performance.md and docs/decisions.md.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise, repeat
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

Matrix = npt.NDArray[np.float32]
Indices = npt.NDArray[np.int64]

# Called with (first row, score block) before the selection; may set scores to -inf in
# place.
Adjust = Callable[[int, Matrix], None]

DEFAULT_BLOCK = 1024
# Every SAMPLE_STEP-th score of a row estimates its threshold; catalogs under
# SAMPLE_STEP × k items are partitioned in full (cheap at that size).
SAMPLE_STEP = 16
# Rows per task: the threads split a block into pieces at least this tall.
_MIN_ROWS_PER_THREAD = 64
_LOWEST = np.finfo(np.float32).min  # a threshold never admits -inf (masked) scores


@dataclass(frozen=True)
class TopK:
    """The best `k` items of rows `start .. start + len(scores)` of the queries.

    `scores[r]` is sorted best first (ties: lower item row first); `indices[r]` are item
    row numbers. A masked item scores -inf: callers drop non-finite scores (a row may
    have fewer than k real ones).
    """

    start: int
    scores: Matrix
    indices: Indices


def normalise(vectors: npt.ArrayLike) -> Matrix:
    """Rows scaled to unit length (float32, C-contiguous); zero rows stay zero."""
    array = np.ascontiguousarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array of vectors, got shape {array.shape}")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    unit: Matrix = np.divide(array, norms, out=np.zeros_like(array), where=norms > 0)
    return unit


def blocked_top_k(
    queries: Matrix,
    items: Matrix,
    k: int,
    *,
    block_size: int = DEFAULT_BLOCK,
    adjust: Adjust | None = None,
) -> Iterator[TopK]:
    """Yield the exact top-`k` items of each query, `block_size` queries at a time.

    `queries` and `items` must already be normalised (see `normalise`) and share their
    dimension. Memory is one block of scores: `block_size × len(items)` floats.
    """
    if queries.shape[1:] != items.shape[1:]:
        raise ValueError(
            f"queries have dimension {queries.shape[1:]} but items have {items.shape[1:]}"
        )
    k = min(k, items.shape[0])
    threads = os.cpu_count() or 1
    # Each thread scores and selects its own rows, with BLAS on one thread per call:
    # OpenBLAS's own threads keep spinning after every product, taking the core from
    # other work in this process (the run writes the last block on a thread meanwhile).
    with one_blas_thread(), ThreadPoolExecutor(threads) as pool:
        for start in range(0, queries.shape[0], block_size):
            block = queries[start : start + block_size]
            pieces = max(1, min(threads, len(block) // _MIN_ROWS_PER_THREAD))
            bounds = np.linspace(0, len(block), pieces + 1).astype(int).tolist()
            parts = list(
                pool.map(
                    _score_rows,
                    [block[first:last] for first, last in pairwise(bounds)],
                    repeat(items),
                    repeat(k),
                    repeat(adjust),
                    [start + first for first in bounds[:-1]],
                )
            )
            yield TopK(start, np.vstack([s for s, _ in parts]), np.vstack([i for _, i in parts]))


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread per call until the last of any overlapping runs ends (a Huey
    worker runs shards on several threads): then the original limits come back."""
    with _blas.lock:
        if _blas.runs == 0:
            _blas.limits = threadpool_limits(1, user_api="blas")
        _blas.runs += 1
    try:
        yield
    finally:
        with _blas.lock:
            _blas.runs -= 1
            if _blas.runs == 0:
                _blas.limits.restore_original_limits()


@dataclass
class _BlasLimit:
    lock: threading.Lock = field(default_factory=threading.Lock)
    runs: int = 0
    limits: Any = None  # the threadpoolctl limiter of the outermost run


_blas = _BlasLimit()


def _score_rows(
    queries: Matrix, items: Matrix, k: int, adjust: Adjust | None, first: int
) -> tuple[Matrix, Indices]:
    """The top-`k` of these queries (rows `first ..` of all), masked by `adjust`."""
    scores: Matrix = queries @ items.T  # a transposed view: BLAS reads it as it is
    if adjust is not None:
        adjust(first, scores)
    return top_k_rows(scores, k)


def top_k_rows(scores: Matrix, k: int) -> tuple[Matrix, Indices]:
    """Each row's best `k` (scores, column indices), best first, ties by lower column."""
    rows, items = scores.shape
    k = min(k, items)
    if items < SAMPLE_STEP * k or k == 0:
        return _partition_rows(scores, k)
    sample = scores[:, ::SAMPLE_STEP]
    rank = 2 * k // SAMPLE_STEP  # about 2k scores of the full row reach this one
    threshold = -np.partition(-sample, rank - 1, axis=1)[:, rank - 1]
    # Flat positions, then (row, column): much cheaper than 2-D `nonzero`.
    flat = np.flatnonzero(scores >= np.maximum(threshold, _LOWEST)[:, None])
    row_of, column = np.divmod(flat, items)
    values = scores.reshape(-1)[flat]
    # One stable integer sort by (row, score descending); columns stay ascending among
    # ties. Cheaper than `lexsort` on the two keys.
    order = np.argsort((row_of.astype(np.int64) << 32) | _descending_bits(values), kind="stable")
    counts = np.bincount(row_of, minlength=rows)
    starts = np.cumsum(counts) - counts
    enough = counts >= k
    best_scores = np.empty((rows, k), dtype=scores.dtype)
    best_indices = np.empty((rows, k), dtype=np.int64)
    take = order[starts[enough, None] + np.arange(k)]
    best_scores[enough], best_indices[enough] = values[take], column[take]
    if not enough.all():  # too few reached the threshold (or the row is mostly masked)
        short = np.flatnonzero(~enough)
        best_scores[short], best_indices[short] = _partition_rows(scores[short], k)
    return best_scores, best_indices


def _descending_bits(values: Matrix) -> Indices:
    """Unsigned 32-bit integers that sort like `values` (finite float32) reversed."""
    bits = values.view(np.uint32).astype(np.int64)
    # IEEE order: negative floats (sign bit set) sort backwards by their bits.
    ascending = np.where(bits >= 0x80000000, 0xFFFFFFFF - bits, bits | 0x80000000)
    return 0xFFFFFFFF - ascending


def _partition_rows(scores: Matrix, k: int) -> tuple[Matrix, Indices]:
    """`top_k_rows` by a full partition of every row."""
    if k == 0:
        return scores[:, :0], np.empty((len(scores), 0), np.int64)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    return (
        np.take_along_axis(part_scores, order, axis=1),
        np.take_along_axis(part, order, axis=1).astype(np.int64),
    )


def full_ranking(query: Matrix, items: Matrix) -> tuple[Matrix, Indices]:
    """One query's scores against every item, best first (the fallback when a row's
    top-k ran out after filters and the company cap)."""
    scores = (items @ query.reshape(-1)).astype(np.float32)
    order = np.argsort(-scores, kind="stable")
    return scores[order], order.astype(np.int64)


def recall_at_k(found: Indices | list[int], truth: Indices | list[int]) -> float:
    """|found ∩ truth| / |truth| (1.0 when truth is empty)."""
    expected = {int(i) for i in truth}
    if not expected:
        return 1.0
    return len(expected.intersection(int(i) for i in found)) / len(expected)
