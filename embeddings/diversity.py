"""Diversity by a company cap: at most `cap` jobs of one company in a user's list.

Chosen over MMR because it is exact, explainable ("at most 3 per company") and
vectorises over a whole block of users; MMR needs pairwise job similarities per list.
Candidates come best first; a company's 4th-best job gives way to the next other
company's job, so the list keeps score order otherwise.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

DEFAULT_COMPANY_CAP = 3

Codes = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def company_codes(companies: list[str]) -> Codes:
    """One integer per job naming its company (case-insensitive, trimmed).

    A job without a company gets a code of its own (negative): unknown companies are
    not lumped together under the cap.
    """
    seen: dict[str, int] = {}
    codes = np.empty(len(companies), dtype=np.int64)
    for row, name in enumerate(companies):
        key = name.strip().casefold()
        codes[row] = seen.setdefault(key, len(seen)) if key else -(row + 1)
    return codes


def capped_selection(codes: Codes, valid: Mask, cap: int, limit: int) -> Mask:
    """Which candidates to keep, for a block of users at once.

    `codes[u, i]` is the company of user u's i-th best candidate, `valid[u, i]` whether
    that candidate exists (not filtered out). Returns a mask keeping, per row and in
    order, at most `cap` candidates per company and at most `limit` in all.
    """
    if codes.shape != valid.shape:
        raise ValueError(f"codes {codes.shape} and valid {valid.shape} differ in shape")
    if cap < 1:
        raise ValueError(f"the company cap must be at least 1, got {cap}")
    rows, width = codes.shape
    if width == 0:
        return np.zeros_like(valid)
    # Invalid candidates get codes of their own so they never use up a company's quota.
    keyed = np.where(valid, codes, np.int64(np.iinfo(np.int64).min) + np.arange(width))
    order = np.argsort(keyed, axis=1, kind="stable")  # stable: score order within a company
    grouped = np.take_along_axis(keyed, order, axis=1)
    positions = np.broadcast_to(np.arange(width), (rows, width))
    run_start = np.ones((rows, width), dtype=bool)
    run_start[:, 1:] = grouped[:, 1:] != grouped[:, :-1]
    first_of_run = np.maximum.accumulate(np.where(run_start, positions, 0), axis=1)
    occurrence = np.empty_like(first_of_run)
    np.put_along_axis(occurrence, order, positions - first_of_run, axis=1)
    keep: Mask = valid & (occurrence < cap)
    selected: Mask = keep & (np.cumsum(keep, axis=1) <= limit)
    return selected


def cap_one(codes: Codes, valid: Mask, cap: int, limit: int) -> Mask:
    """`capped_selection` for a single user's candidate row."""
    row: Mask = capped_selection(codes.reshape(1, -1), valid.reshape(1, -1), cap, limit)[0]
    return row
