"""Exact top-k: blocked torch path and small numpy path agree with a full sort."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.topk import (
    BF16_ERROR,
    blocked_top_k,
    exact_top_k,
    full_ranking,
    normalise,
    prefiltered_top_k,
    recall_at_k,
    torch_threads,
)


def _data(rows: int, items: int, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return normalise(rng.normal(size=(rows, dim))), normalise(rng.normal(size=(items, dim)))


@pytest.mark.parametrize("rows", [1, 3, 50])  # 1 and 3 take the numpy path, 50 torch
def test_matches_a_full_sort(rows: int) -> None:
    queries, items = _data(rows, 300)
    parts = list(blocked_top_k(queries, items, 20, block_size=16))
    scores = np.vstack([p.scores for p in parts])
    indices = np.vstack([p.indices for p in parts])
    truth = np.argsort(-(queries @ items.T), axis=1)[:, :20]
    assert indices.tolist() == truth.tolist()
    assert np.allclose(scores, np.take_along_axis(queries @ items.T, truth, axis=1), atol=1e-5)
    assert [p.start for p in parts] == list(range(0, rows, 16))[: len(parts)]


def test_scores_are_cosines_of_unnormalised_input() -> None:
    queries = np.array([[3.0, 0.0]], dtype=np.float32)
    items = np.array([[0.0, 5.0], [2.0, 2.0], [7.0, 0.0]], dtype=np.float32)
    scores, indices = exact_top_k(queries, items, 3)
    assert indices.tolist() == [[2, 1, 0]]
    assert np.allclose(scores, [[1.0, np.sqrt(0.5), 0.0]], atol=1e-6)


def test_adjust_masks_before_selection() -> None:
    queries, items = _data(20, 100)

    def ban_best(start: int, block: np.ndarray) -> None:
        block[:, 7] = -np.inf

    for part in blocked_top_k(queries, items, 100, block_size=8, adjust=ban_best):
        assert all(row[-1] == 7 for row in part.indices)
        assert np.isneginf(part.scores[:, -1]).all()


def test_k_larger_than_items_and_zero() -> None:
    queries, items = _data(2, 5)
    (part,) = blocked_top_k(queries, items, 50)
    assert part.indices.shape == (2, 5)
    (empty,) = blocked_top_k(queries, items, 0)
    assert empty.indices.shape == (2, 0)


def test_dimension_mismatch_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="dimension"):
        list(blocked_top_k(np.ones((2, 3), np.float32), np.ones((4, 5), np.float32), 2))


def test_full_ranking_and_recall() -> None:
    queries, items = _data(1, 40)
    scores, order = full_ranking(queries[0], items)
    assert list(order) == list(np.argsort(-(items @ queries[0]), kind="stable"))
    assert (np.diff(scores) <= 0).all()
    assert recall_at_k([1, 2, 3], [3, 2, 9, 8]) == 0.5
    assert recall_at_k([], []) == 1.0


@pytest.mark.parametrize("k", [0, 5, 40, 300])
def test_prefilter_scores_exactly_and_its_floor_bounds_the_rest(k: int) -> None:
    # Clustered data: many near-ties, where a bf16 ranking alone would misorder.
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(4, 32))
    items = normalise(centres[rng.integers(0, 4, 300)] + 0.05 * rng.normal(size=(300, 32)))
    queries = normalise(centres[rng.integers(0, 4, 40)] + 0.05 * rng.normal(size=(40, 32)))
    exact = queries @ items.T
    for part in prefiltered_top_k(queries, items, k, block_size=16):
        rows = range(part.start, part.start + len(part.scores))
        assert part.floor is not None
        assert part.scores.shape == (len(rows), min(k, 300))
        for r, row in enumerate(rows):
            picked = part.indices[r]
            assert np.allclose(part.scores[r], exact[row, picked], atol=1e-5)
            assert (np.diff(part.scores[r]) <= 0).all()  # best first, by exact score
            left_out = np.setdiff1d(np.arange(300), picked)
            assert (exact[row, left_out] <= part.floor[r]).all()


def test_bf16_error_bound_holds() -> None:
    import torch

    queries, items = _data(200, 2000, dim=384, seed=5)
    rough = (torch.from_numpy(queries).bfloat16() @ torch.from_numpy(items).bfloat16().T).float()
    assert np.abs(rough.numpy() - queries @ items.T).max() < BF16_ERROR


def test_prefilter_ban_excludes_pairs() -> None:
    queries, items = _data(20, 100)

    def ban(first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        best = np.argmax(queries[first : first + count] @ items.T, axis=1)
        return np.arange(count, dtype=np.int64), best.astype(np.int64)

    for part in prefiltered_top_k(queries, items, 100, block_size=8, ban=ban):
        best = np.argmax(queries[part.start : part.start + len(part.scores)] @ items.T, axis=1)
        assert (part.indices[:, -1] == best).all()
        assert np.isneginf(part.scores[:, -1]).all()
        assert np.isfinite(part.scores[:, :-1]).all()


def test_torch_threads_overlapping_runs_restore_the_original_once_all_end() -> None:
    import torch

    original = torch.get_num_threads()
    with torch_threads(1):
        with torch_threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1  # the outer run still holds it
    assert torch.get_num_threads() == original
