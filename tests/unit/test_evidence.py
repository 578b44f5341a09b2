"""Evidence for a block of picks agrees with plain set look-ups, pick by pick."""

from __future__ import annotations

from collections import Counter

import numpy as np

from embeddings.evidence import (
    NO_RANK,
    NOTHING_SHARED,
    RARE_JOBS,
    EvidenceFinder,
)
from embeddings.reasons import MAX_JOB_TERMS, MAX_SHARED


def _decode(evidence: int) -> tuple[list[int], int]:
    ranks = [(evidence >> (6 * slot)) & 63 for slot in range(MAX_SHARED)]
    return [rank for rank in ranks if rank != NO_RANK], (evidence >> 24) & 0xFFFFFF


def test_block_evidence_matches_set_lookups() -> None:
    rng = np.random.default_rng(4)
    vocabulary = rng.integers(1, 2**62, 400)
    jobs = np.zeros((60, MAX_JOB_TERMS), dtype=np.int64)
    for row in range(60):
        size = int(rng.integers(0, MAX_JOB_TERMS + 1))
        jobs[row, :size] = rng.choice(vocabulary[8:], size, replace=False)
        # The first 8 terms are in many jobs (about 42 or 12 of 60): rarer than RARE_JOBS,
        # or not.
        for key, share in zip(vocabulary[:8], [0.7, 0.2] * 4, strict=True):
            if size and rng.random() < share:
                jobs[row, rng.integers(0, size)] = key
    # 300 CVs: more than one chunk of users laid out at once.
    cvs = [rng.choice(vocabulary, int(rng.integers(0, 120)), replace=False) for _ in range(300)]
    users = rng.integers(0, 300, 3000)
    rows = rng.integers(0, 60, 3000)
    ranking = Counter(key for key in jobs.ravel().tolist() if key)
    rarity = {key: max(count, RARE_JOBS).bit_length() for key, count in ranking.items()}
    assert len(set(rarity.values())) > 1, "the catalog has terms of several rarities"

    found = EvidenceFinder(jobs).find(cvs, users, rows)

    reordered = 0
    for evidence, user, row in zip(found.tolist(), users, rows, strict=True):
        cv = cvs[user].tolist()
        shared = [rank for rank, key in enumerate(jobs[row].tolist()) if key and key in cv]
        # The rarest first, in powers of two; equally rare ones in the job's order.
        in_job_order = shared[:MAX_SHARED]
        shared.sort(key=lambda rank: rarity[int(jobs[row, rank])])
        ranks, position = _decode(evidence)
        reordered += ranks != in_job_order
        assert ranks == shared[:MAX_SHARED]
        if not shared:
            assert evidence == NOTHING_SHARED
            continue
        first = int(jobs[row, shared[0]])
        assert cv[position] == first
        assert (evidence >> 48) & 0xFF == first & 0xFF
        assert (evidence >> 56) & 0x7F == first & 0x7F
    assert reordered > 100, "specificity changed the order of many picks"


def test_no_picks_and_empty_catalog() -> None:
    finder = EvidenceFinder(np.zeros((0, MAX_JOB_TERMS), dtype=np.int64))
    empty = np.zeros(0, dtype=np.int64)
    assert finder.find([], empty, empty).tolist() == []
    one = EvidenceFinder(np.zeros((1, MAX_JOB_TERMS), dtype=np.int64))
    zero = np.zeros(1, dtype=np.int64)
    assert one.find([np.array([5, 6])], zero, zero).tolist() == [NOTHING_SHARED]


def _catalog(ranked_by: dict[int, int], size: int) -> np.ndarray:
    """`size` jobs (rows) where key k is ranked by `ranked_by[k]` of them (job 0 among
    them), each job's keys from its first rank on."""
    jobs = np.zeros((size, MAX_JOB_TERMS), dtype=np.int64)
    filled = np.zeros(size, dtype=np.int64)
    for key, count in ranked_by.items():
        rows = np.arange(count)
        jobs[rows, filled[rows]] = key
        filled[rows] += 1
    return jobs


def test_rarer_shared_terms_come_first_whatever_the_job_s_rank() -> None:
    management, python, kubernetes = 7, 8, 9
    # Job 0 ranks "management" first, "python" second, "kubernetes" third.
    jobs = _catalog({management: 400, python: 100, kubernetes: 30}, 1000)
    zero = np.zeros(1, dtype=np.int64)
    cv = np.array([kubernetes, management, python])
    (evidence,) = EvidenceFinder(jobs).find([cv], zero, zero)
    ranks, position = _decode(int(evidence))
    assert ranks == [2, 1, 0]  # kubernetes, python, management
    assert position == 0  # the CV line quoted is that of "kubernetes"


def test_equally_rare_terms_keep_the_job_s_order() -> None:
    first, second = 7, 8
    # Within a factor of two (64 and 100 jobs are both 2^6 .. 2^7 - 1) the rank decides.
    jobs = _catalog({first: 100, second: 64}, 1000)
    zero = np.zeros(1, dtype=np.int64)
    (evidence,) = EvidenceFinder(jobs).find([np.array([second, first])], zero, zero)
    assert _decode(int(evidence))[0] == [0, 1]
    # In a catalog too small to tell (every term rarer than RARE_JOBS), the job's order.
    small = _catalog({first: RARE_JOBS - 1, second: 2}, RARE_JOBS)
    (evidence,) = EvidenceFinder(small).find([np.array([second, first])], zero, zero)
    assert _decode(int(evidence))[0] == [0, 1]
