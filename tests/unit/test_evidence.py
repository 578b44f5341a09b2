"""Evidence for a block of picks agrees with plain set look-ups, pick by pick."""

from __future__ import annotations

import numpy as np

from embeddings.evidence import NO_RANK, NOTHING_SHARED, EvidenceFinder
from embeddings.reasons import MAX_JOB_TERMS, MAX_SHARED


def _decode(evidence: int) -> tuple[list[int], int]:
    ranks = [(evidence >> (6 * slot)) & 63 for slot in range(MAX_SHARED)]
    return [rank for rank in ranks if rank != NO_RANK], (evidence >> 24) & 0xFFFFFF


def test_block_evidence_matches_set_lookups() -> None:
    rng = np.random.default_rng(4)
    vocabulary = rng.integers(1, 2**62, 400)
    jobs = np.zeros((30, MAX_JOB_TERMS), dtype=np.int64)
    for row in range(30):
        size = int(rng.integers(0, MAX_JOB_TERMS + 1))
        jobs[row, :size] = rng.choice(vocabulary, size, replace=False)
    # 300 CVs: more than one chunk of users laid out at once.
    cvs = [rng.choice(vocabulary, int(rng.integers(0, 120)), replace=False) for _ in range(300)]
    users = rng.integers(0, 300, 3000)
    rows = rng.integers(0, 30, 3000)

    found = EvidenceFinder(jobs).find(cvs, users, rows)

    for evidence, user, row in zip(found.tolist(), users, rows, strict=True):
        cv = cvs[user].tolist()
        shared = [rank for rank, key in enumerate(jobs[row].tolist()) if key and key in cv]
        ranks, position = _decode(evidence)
        assert ranks == shared[:MAX_SHARED]
        if not shared:
            assert evidence == NOTHING_SHARED
            continue
        first = int(jobs[row, shared[0]])
        assert cv[position] == first
        assert (evidence >> 48) & 0xFF == first & 0xFF
        assert (evidence >> 56) & 0x7F == first & 0x7F


def test_no_picks_and_empty_catalog() -> None:
    finder = EvidenceFinder(np.zeros((0, MAX_JOB_TERMS), dtype=np.int64))
    empty = np.zeros(0, dtype=np.int64)
    assert finder.find([], empty, empty).tolist() == []
    one = EvidenceFinder(np.zeros((1, MAX_JOB_TERMS), dtype=np.int64))
    zero = np.zeros(1, dtype=np.int64)
    assert one.find([np.array([5, 6])], zero, zero).tolist() == [NOTHING_SHARED]
