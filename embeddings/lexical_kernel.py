"""The lexical score's compiled parts: building the catalog's BM25 index, choosing each
CV's telling words, and the nightly run's inner loop, each CV's BM25 over the catalog
accumulated into a dense row and combined with that CV's cosines in one pass.

scipy's sparse product does the inner loop's sums but builds a sparse result first (two
passes over every posting, then an unsorted row and a dense copy): for 500 CVs × 20,000
jobs this kernel takes ~0.035 s where the product, densified and combined, takes ~0.1 s,
with bit-equal results (the same postings in the same order). Everything here releases
the GIL, so the scoring threads run it side by side. numba costs ~0.2 s to import and
~0.3 s more at a process's first call; compiling takes ~10 s once per machine (the
compiled code is cached on disk), so the API, which needs none of this, never imports it.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp


def combine_rows(
    scores: npt.NDArray[np.float32],
    cvs: sp.csr_matrix,
    weights: sp.csr_matrix,
    weight: float,
    scale: np.float32,
) -> None:
    """scores[i] = (scores[i] + weight × lexical[i]) × scale, in place, where lexical[i] is
    CV i's row of `cvs` @ `weights` over that row's maximum (a row without any match adds
    nothing). `cvs` is 0/1, canonical; `weights` are positive."""
    if scores.shape != (cvs.shape[0], weights.shape[1]) or not scores.flags.c_contiguous:
        raise ValueError(f"scores {scores.shape} do not fit {cvs.shape} @ {weights.shape}")
    postings = (weights.indptr, weights.indices, weights.data)
    _combine(scores, (cvs.indptr, cvs.indices), postings, weight, scale)


@numba.njit(nogil=True, cache=True)
def _combine(scores, cvs, weights, weight, scale) -> None:  # type: ignore[no-untyped-def]
    (cv_starts, cv_terms), (term_starts, term_jobs, term_weights) = cvs, weights
    jobs = scores.shape[1]
    raw = np.zeros(jobs, np.float32)
    for row in range(scores.shape[0]):
        # Weights are positive, so sums only grow: the row's maximum is the largest
        # running sum, found in the same pass instead of another one over the row.
        best = np.float32(1e-9)
        for at in range(cv_starts[row], cv_starts[row + 1]):
            term = cv_terms[at]
            for posting in range(term_starts[term], term_starts[term + 1]):
                job = term_jobs[posting]
                value = raw[job] + term_weights[posting]
                raw[job] = value
                best = max(best, value)
        factor = np.float32(weight) / best
        for job in range(jobs):  # one pass over the row: combine, and clear for the next
            scores[row, job] = (scores[row, job] + raw[job] * factor) * scale
            raw[job] = 0


# The catalog's words, as a hash table from a word's key to its column (its place among
# the distinct keys in ascending order). Word keys are uniform hashes, so their low bits
# index the table directly. Building it and looking words up by it takes a table of a
# few megabytes, where sorting the catalog's millions of keys took copies of them all:
# fresh memory, which on a freshly started process costs more than the work itself.


@numba.njit(nogil=True, cache=True)
def word_table(keys):  # type: ignore[no-untyped-def]
    """(slot keys, slot columns (-1: empty), the distinct keys ascending) of `keys`."""
    capacity = 1 << 10
    slot_keys = np.empty(capacity, np.int64)
    slot_columns = np.full(capacity, -1, np.int32)
    distinct = 0
    for key in keys:
        slot = _slot(slot_keys, slot_columns, key)
        if slot_columns[slot] < 0:
            slot_keys[slot], slot_columns[slot] = key, 0
            distinct += 1
            if 2 * distinct > capacity:  # at most half full: probes stay short
                capacity *= 2
                slot_keys, slot_columns = _rehashed(slot_keys, slot_columns, capacity)
    vocabulary = np.sort(slot_keys[slot_columns >= 0])
    for slot in range(capacity):
        if slot_columns[slot] >= 0:
            slot_columns[slot] = np.searchsorted(vocabulary, slot_keys[slot])
    return slot_keys, slot_columns, vocabulary


@numba.njit(nogil=True, cache=True)
def word_columns(slot_keys, slot_columns, keys):  # type: ignore[no-untyped-def]
    """Each key's column in the table built by `word_table`, or -1 for a word not in it."""
    columns = np.empty(len(keys), np.int32)
    for at in range(len(keys)):
        columns[at] = slot_columns[_slot(slot_keys, slot_columns, keys[at])]
    return columns


@numba.njit(nogil=True, cache=True)
def _slot(slot_keys, slot_columns, key):  # type: ignore[no-untyped-def]
    """The slot holding `key`, or the empty slot where it would go (linear probing)."""
    mask = len(slot_keys) - 1
    slot = key & mask
    while slot_columns[slot] >= 0 and slot_keys[slot] != key:
        slot = (slot + 1) & mask
    return slot


@numba.njit(nogil=True, cache=True)
def _rehashed(slot_keys, slot_columns, capacity):  # type: ignore[no-untyped-def]
    keys = np.empty(capacity, np.int64)
    columns = np.full(capacity, -1, np.int32)
    for slot in range(len(slot_keys)):
        if slot_columns[slot] >= 0:
            at = _slot(keys, columns, slot_keys[slot])
            keys[at], columns[at] = slot_keys[slot], 0
    return keys, columns


@numba.njit(nogil=True, cache=True)
def text_lengths(counts, sizes):  # type: ignore[no-untyped-def]
    """Each text's length in words (the sum of its `sizes[i]` counts)."""
    lengths = np.empty(len(sizes), np.float32)
    at = 0
    for text in range(len(sizes)):
        total = 0
        for _ in range(sizes[text]):
            total += counts[at]
            at += 1
        lengths[text] = total
    return lengths


@numba.njit(nogil=True, cache=True)
def term_major_weights(columns, texts_counted, idf, norm, saturation):  # type: ignore[no-untyped-def]
    """The texts' BM25 weights as a terms × texts CSR matrix (starts, texts, weights),
    each term's texts ascending: idf × tf × saturation / (tf + the text's norm), in
    float32 and in that order, as numpy computed it before. `texts_counted`: (each
    entry's count, each text's number of entries)."""
    counts, sizes = texts_counted
    starts = np.zeros(len(idf) + 1, np.int64)
    for column in columns:
        starts[column + 1] += 1
    for term in range(len(idf)):
        starts[term + 1] += starts[term]
    free = starts[:-1].copy()
    texts = np.empty(len(columns), np.int32)
    weights = np.empty(len(columns), np.float32)
    at = 0
    for text in range(len(sizes)):
        for _ in range(sizes[text]):
            column, tf = columns[at], np.float32(counts[at])
            texts[free[column]] = text
            weights[free[column]] = idf[column] * tf * saturation / (tf + norm[text])
            free[column] += 1
            at += 1
    return starts, texts, weights


@numba.njit(nogil=True, cache=True)
def telling_words(columns, counts, sizes, idf, limit):  # type: ignore[no-untyped-def]
    """Each text's `limit` most telling known words (columns ≥ 0) by (1 + ln count) ×
    idf, ties to the smaller column, as a CSR pattern (starts, columns ascending)."""
    starts = np.zeros(len(sizes) + 1, np.int64)
    chosen = np.empty(min(len(columns), limit * len(sizes)), np.int32)
    first = 0
    for text in range(len(sizes)):
        own, tallies = columns[first : first + sizes[text]], counts[first : first + sizes[text]]
        first += sizes[text]
        known = own >= 0
        own, tallies = own[known], tallies[known]
        value = np.empty(len(own))
        for at in range(len(own)):
            value[at] = (1.0 + np.log(np.float64(tallies[at]))) * idf[own[at]]
        # A text's keys, hence its columns, ascend: a stable sort keeps ties in that order.
        best = np.sort(own[np.argsort(-value, kind="mergesort")[:limit]])
        chosen[starts[text] : starts[text] + len(best)] = best
        starts[text + 1] = starts[text] + len(best)
    return starts, chosen[: starts[-1]]
