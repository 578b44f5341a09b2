"""The company cap: at most `cap` per company, score order kept, `limit` in all."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embeddings.diversity import cap_one, capped_selection, company_codes


def _reference(codes: list[int], valid: list[bool], cap: int, limit: int) -> list[bool]:
    seen: dict[int, int] = {}
    keep: list[bool] = []
    for code, ok in zip(codes, valid, strict=True):
        take = ok and seen.get(code, 0) < cap and sum(keep) < limit
        if take:
            seen[code] = seen.get(code, 0) + 1
        keep.append(take)
    return keep


def test_fourth_job_of_a_company_gives_way() -> None:
    codes = np.array([5, 5, 5, 5, 6, 5, 7])
    keep = cap_one(codes, np.ones(7, bool), cap=3, limit=50)
    assert keep.tolist() == [True, True, True, False, True, False, True]


def test_limit_and_invalid_candidates() -> None:
    codes = np.array([1, 2, 3, 4, 5])
    valid = np.array([True, False, True, True, True])
    assert cap_one(codes, valid, cap=3, limit=2).tolist() == [True, False, True, False, False]


@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 4), st.booleans()), min_size=6, max_size=6),
        min_size=1,
        max_size=5,
    ),
    st.integers(1, 3),
    st.integers(0, 6),
)
def test_block_matches_a_plain_loop(
    rows: list[list[tuple[int, bool]]], cap: int, limit: int
) -> None:
    codes = np.array([[c for c, _ in row] for row in rows], dtype=np.int64)
    valid = np.array([[v for _, v in row] for row in rows], dtype=bool)
    keep = capped_selection(codes, valid, cap, limit)
    for r, row in enumerate(rows):
        assert keep[r].tolist() == _reference([c for c, _ in row], [v for _, v in row], cap, limit)


def test_company_codes_case_and_blanks() -> None:
    codes = company_codes(["Acme", " acme ", "", "Globex", ""])
    assert codes[0] == codes[1]
    assert len({codes[2], codes[4], codes[0], codes[3]}) == 4  # blanks are not one company


def test_bad_cap_and_shapes() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        capped_selection(np.zeros((1, 2), np.int64), np.ones((1, 2), bool), 0, 5)
    with pytest.raises(ValueError, match="shape"):
        capped_selection(np.zeros((1, 2), np.int64), np.ones((1, 3), bool), 1, 5)
