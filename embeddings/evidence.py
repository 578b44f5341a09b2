"""What a reason says, found for a whole block of (user, job) picks at once, as numbers.

A reason names the job's most specific terms the CV shares (at most `MAX_SHARED`) and
quotes the CV line of the first of them (`embeddings.reasons`). A term is the more
specific the fewer of the catalog's jobs rank it among their best: "kubernetes" says
more about why this job fits than "management", which many jobs name. Rarity is
counted in powers of two (the term's inverse document frequency in whole bits), and
terms equally rare keep the job's own order (tags, title, then the most repeated), since
a factor under two in a count says less than that order; terms of fewer than
`RARE_JOBS` jobs are all equally rare, so a small catalog keeps the job's order.

Finding the shared terms is a set look-up per job term, for ~500,000 picks a night: done
in Python per pick it would cost more than the scoring. Here terms are 64-bit keys
(`term_key`): the catalog's job keys become small integer ids once per run, each job's
terms are put in order of specificity once per run, each CV's keys are looked up among
them, and a block's picks are answered by array gathers.

Each pick's answer is one int64, laid out below: the job ranks of up to four
shared terms, the CV term holding the first, and a check byte of each of those two
keys. PostgreSQL turns it into the sentence when the list is read (`jobmatch_reason`,
migration 008); the check bytes let it notice a profile remade since (a changed job
text, new profiling code) and say less rather than something untrue.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from embeddings.reasons import MAX_JOB_TERMS, MAX_SHARED

Keys = npt.NDArray[np.int64]
Rows = npt.NDArray[np.int64]

# Bits of an evidence value (PostgreSQL reads the same layout):
#   0–23   job ranks (0-based) of up to four shared terms, 6 bits each; NO_RANK = none
#   24–47  position (0-based) in the CV's terms of the first shared term
#   48–55  the low byte of that job term's key
#   56–62  the low 7 bits of that CV term's key
NO_RANK = 63
_RANK_BITS, _CV_SHIFT, _JOB_CHECK_SHIFT, _CV_CHECK_SHIFT = 6, 24, 48, 56
NOTHING_SHARED = sum(NO_RANK << (_RANK_BITS * slot) for slot in range(MAX_SHARED))
# CVs' term positions must fit their 24 bits; a CV has a few thousand distinct terms.
_MAX_CV_TERMS = 1 << (_JOB_CHECK_SHIFT - _CV_SHIFT)
# Users whose CV terms are laid out densely at once: rows × catalog terms × 4 bytes.
_USERS_AT_ONCE = 128
# Terms that fewer jobs than this rank among their best are equally rare: counts that
# small tell a typo from a niche skill no better than the job's own order does.
RARE_JOBS = 16

assert MAX_JOB_TERMS <= NO_RANK  # ranks fit their 6 bits, with NO_RANK to spare


def term_keys(stored: bytes) -> Keys:
    """A profile's keys as stored (`TextProfile.keys`), as int64s."""
    return np.frombuffer(stored, dtype="<i8").astype(np.int64, copy=False)


def job_key_rows(stored: Sequence[bytes]) -> Keys:
    """Jobs' stored keys as the rows `EvidenceFinder` takes: zero-padded to
    `MAX_JOB_TERMS`."""
    rows = np.zeros((len(stored), MAX_JOB_TERMS), dtype=np.int64)
    for row, keys in enumerate(map(term_keys, stored)):
        rows[row, : len(keys)] = keys
    return rows


class EvidenceFinder:
    """The catalog's job term keys (row-aligned with the catalog, 0-padded to
    `MAX_JOB_TERMS`) as small ids, ready to answer blocks of picks. One thread at a
    time: it keeps one scratch table between blocks."""

    def __init__(self, job_keys: Keys) -> None:
        self.job_keys = job_keys
        self.vocabulary = np.unique(job_keys[job_keys != 0])
        # Padding maps to an extra id that no CV has.
        self.padding = len(self.vocabulary)
        ids = np.searchsorted(self.vocabulary, job_keys)
        job_ids = np.where(job_keys != 0, ids, self.padding)
        # Each job's terms, most specific first: a block then takes a pick's shared terms
        # in that order as they come, with no sort per pick.
        self.ranks = _by_specificity(job_ids, self.padding)
        self.ordered_ids = np.take_along_axis(job_ids, self.ranks.astype(np.intp), axis=1)
        # (user of a chunk, term id) -> the term's position in the CV, else -1; filled
        # and emptied again chunk by chunk (allocating it anew cost more than its use).
        self._positions = np.full((_USERS_AT_ONCE, self.padding + 1), -1, dtype=np.int32)

    def find(self, cv_keys: Sequence[Keys], pick_users: Rows, pick_rows: Rows) -> Keys:
        """Evidence for each pick: user `pick_users[p]` (an index into `cv_keys`) and
        catalog row `pick_rows[p]`."""
        cv = _CvTerms([keys[:_MAX_CV_TERMS] for keys in cv_keys], self.vocabulary)
        evidence = np.full(len(pick_users), NOTHING_SHARED, dtype=np.int64)
        for first in range(0, len(cv_keys), _USERS_AT_ONCE):
            last = min(first + _USERS_AT_ONCE, len(cv_keys))
            picked = np.flatnonzero((pick_users >= first) & (pick_users < last))
            if len(picked):
                evidence[picked] = self._evidence(
                    cv, first, last, pick_users[picked], pick_rows[picked]
                )
        return evidence

    def _evidence(self, cv: _CvTerms, first: int, last: int, users: Rows, rows: Rows) -> Keys:
        """Evidence of picks whose users are `first .. last - 1`."""
        known = cv.known[cv.starts[first] : cv.starts[last]]
        owners = cv.owner[cv.starts[first] : cv.starts[last]][known] - first
        ids = cv.ids[cv.starts[first] : cv.starts[last]][known]
        self._positions[owners, ids] = cv.position[cv.starts[first] : cv.starts[last]][known]
        try:
            # picks × the job's terms, most specific first
            at = self._positions[(users - first)[:, None], self.ordered_ids[rows]]
        finally:
            self._positions[owners, ids] = -1
        # The shared terms, pick by pick, most specific first (row-major order).
        pick, order = np.divmod(np.flatnonzero(at >= 0), at.shape[1])
        rank = self.ranks[rows[pick], order].astype(np.int64)  # the job's own rank of each
        counts = np.bincount(pick, minlength=len(users))
        nth = np.arange(len(pick)) - (np.cumsum(counts) - counts)[pick]
        evidence = np.full(len(users), NOTHING_SHARED, dtype=np.int64)
        for slot in range(MAX_SHARED):
            taken = nth == slot
            shift = _RANK_BITS * slot
            evidence[pick[taken]] ^= (NO_RANK ^ rank[taken]) << shift  # NO_RANK -> rank
        first = nth == 0
        picks, best = pick[first], rank[first]  # picks sharing a term, and the first one
        cv_position = at[picks, order[first]].astype(np.int64)
        cv_key = cv.keys[cv.starts[users[picks]] + cv_position]
        job_key = self.job_keys[rows[picks], best]
        evidence[picks] |= (
            (cv_position << _CV_SHIFT)
            | ((job_key & 0xFF) << _JOB_CHECK_SHIFT)
            | ((cv_key & 0x7F) << _CV_CHECK_SHIFT)
        )
        return evidence


def _by_specificity(job_ids: Rows, padding: int) -> npt.NDArray[np.uint8]:
    """Per job (a row of term ids, `padding` for none), its ranks ordered most specific
    first: by how many jobs rank the term, in powers of two from `RARE_JOBS` up, then
    by rank."""
    jobs_ranking = np.bincount(job_ids.ravel(), minlength=padding + 1)  # terms distinct
    rarity = np.log2(np.maximum(jobs_ranking, RARE_JOBS)).astype(np.int64)
    rarity[padding] = rarity.max() + 1  # after every term
    width = job_ids.shape[1]
    order_key = rarity[job_ids] * width + np.arange(width)
    # Ranks fit a byte (`MAX_JOB_TERMS`): a catalog's table of them stays small.
    return np.argsort(order_key, axis=1, kind="stable").astype(np.uint8)


class _CvTerms:
    """A block's CV term keys end to end, each with its owner, its position in its CV
    and its catalog term id (`known`: the catalog has the term)."""

    def __init__(self, cv_keys: Sequence[Keys], vocabulary: Keys) -> None:
        lengths = np.array([len(keys) for keys in cv_keys], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(lengths)])
        self.keys = np.concatenate([np.zeros(0, np.int64), *cv_keys])
        count = len(self.keys)
        self.owner = np.repeat(np.arange(len(cv_keys)), lengths)
        self.position = (np.arange(count) - self.starts[self.owner]).astype(np.int32)
        self.ids = np.searchsorted(vocabulary, self.keys)
        self.known = self.ids < len(vocabulary)
        self.known[self.known] = vocabulary[self.ids[self.known]] == self.keys[self.known]
