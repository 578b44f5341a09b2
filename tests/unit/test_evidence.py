"""Evidence for a block of picks agrees with plain set look-ups, pick by pick."""

from __future__ import annotations

from collections import Counter

import numpy as np

from embeddings.evidence import (
    GENERIC_MIN_JOBS,
    GENERIC_SHARE,
    NO_RANK,
    NOTHING_SHARED,
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
        # The first 8 terms are in many jobs (about 30 or 12 of 60): some are generic.
        for key, share in zip(vocabulary[:8], [0.5, 0.2] * 4, strict=True):
            if size and rng.random() < share:
                jobs[row, rng.integers(0, size)] = key
    # 300 CVs: more than one chunk of users laid out at once.
    cvs = [rng.choice(vocabulary, int(rng.integers(0, 120)), replace=False) for _ in range(300)]
    users = rng.integers(0, 300, 3000)
    rows = rng.integers(0, 60, 3000)
    ranking = Counter(key for key in jobs.ravel().tolist() if key)
    floor = max(GENERIC_MIN_JOBS, GENERIC_SHARE * len(jobs))
    generic = {key for key, jobs_ranking in ranking.items() if jobs_ranking > floor}
    assert generic, "the catalog has generic terms"
    assert generic < set(vocabulary[:8].tolist())

    found = EvidenceFinder(jobs).find(cvs, users, rows)

    for evidence, user, row in zip(found.tolist(), users, rows, strict=True):
        cv = cvs[user].tolist()
        shared = [rank for rank, key in enumerate(jobs[row].tolist()) if key and key in cv]
        # The job's specific shared terms first, then its generic ones, each in rank order.
        shared.sort(key=lambda rank: jobs[row, rank] in generic)
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


def test_generic_terms_come_after_the_job_s_other_shared_terms() -> None:
    generic, specific, other = 7, 8, 9
    jobs = np.zeros((GENERIC_MIN_JOBS + 1, MAX_JOB_TERMS), dtype=np.int64)
    jobs[:, 0] = generic  # every job ranks it first
    jobs[0, 1:3] = [other, specific]
    zero = np.zeros(1, dtype=np.int64)
    (evidence,) = EvidenceFinder(jobs).find([np.array([generic, specific])], zero, zero)
    ranks, position = _decode(int(evidence))
    assert ranks == [2, 0]  # "specific", then "generic"
    assert position == 1  # the CV line quoted is that of "specific"
    # In a catalog too small to tell, the job's own order stands.
    (evidence,) = EvidenceFinder(jobs[:3]).find([np.array([generic, specific])], zero, zero)
    assert _decode(int(evidence))[0] == [0, 2]
