"""Exact top-k: blocked products and the sampled-threshold selection agree with a full sort."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.topk import (
    blocked_top_k,
    full_ranking,
    normalise,
    one_blas_thread,
    recall_at_k,
    top_k_rows,
)


def _data(rows: int, items: int, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return normalise(rng.normal(size=(rows, dim))), normalise(rng.normal(size=(items, dim)))


@pytest.mark.parametrize("rows", [1, 3, 50])
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
    (part,) = blocked_top_k(normalise(queries), normalise(items), 3)
    assert part.indices.tolist() == [[2, 1, 0]]
    assert np.allclose(part.scores, [[1.0, np.sqrt(0.5), 0.0]], atol=1e-6)


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


@pytest.mark.parametrize("k", [1, 5, 40, 100])
def test_sampled_selection_matches_a_full_sort_on_clustered_data(k: int) -> None:
    # Clustered data: many near-ties, and catalogs large enough for the sampled threshold.
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(4, 32))
    items = normalise(centres[rng.integers(0, 4, 3000)] + 0.05 * rng.normal(size=(3000, 32)))
    queries = normalise(centres[rng.integers(0, 4, 200)] + 0.05 * rng.normal(size=(200, 32)))
    exact = queries @ items.T
    scores, indices = top_k_rows(exact.copy(), k)
    truth = np.lexsort((np.arange(3000)[None, :].repeat(200, 0), -exact), axis=1)[:, :k]
    assert indices.tolist() == truth.tolist()
    assert np.array_equal(scores, np.take_along_axis(exact, truth, axis=1))


def test_rows_the_threshold_misses_fall_back_to_a_full_partition() -> None:
    queries, items = _data(6, 4000, seed=7)
    scores = queries @ items.T
    scores[0, :] = 0.5  # all tied: every score reaches the threshold
    scores[1, 100:] = -np.inf  # masked but 100: the sample sees too few real scores
    scores[2, ::16] = -1.0  # the sampled columns are the worst: the threshold is too low
    scores[3, ::16] = 2.0  # the sampled columns are the best: too few reach the threshold
    best, indices = top_k_rows(scores.copy(), 150)
    truth = np.lexsort((np.arange(4000)[None, :].repeat(6, 0), -scores), axis=1)[:, :150]
    finite = np.isfinite(best)
    assert indices[finite].tolist() == truth[finite].tolist()  # masked ones come in any order
    assert indices[0].tolist() == list(range(150))  # ties: lower column first
    assert finite[1].sum() == 100
    assert finite[[0, 2, 3, 4, 5]].all()


def test_rows_with_every_item_masked_come_back_all_masked() -> None:
    # Once, every row masked left nothing to sort and the selection raised IndexError
    # (a remote-only user in a catalog without remote jobs).
    queries, items = _data(3, 2000, seed=2)
    scores = queries @ items.T
    scores[[0, 2]] = -np.inf
    best, indices = top_k_rows(scores.copy(), 100)
    assert np.isneginf(best[[0, 2]]).all()
    assert indices[1].tolist() == np.argsort(-scores[1], kind="stable")[:100].tolist()
    everything_masked = np.full((2, 2000), -np.inf, dtype=np.float32)
    assert np.isneginf(top_k_rows(everything_masked, 100)[0]).all()


def test_blocks_split_over_threads_keep_row_order() -> None:
    queries, items = _data(300, 2000, seed=9)
    parts = list(blocked_top_k(queries, items, 30, block_size=200))
    indices = np.vstack([p.indices for p in parts])
    assert indices.tolist() == np.argsort(-(queries @ items.T), axis=1)[:, :30].tolist()


def test_selection_orders_signs_tiny_and_tied_scores_exactly() -> None:
    rng = np.random.default_rng(11)
    special = np.array([-1.0, -1e-30, -0.0, 0.0, 1e-40, 1e-30, 0.5, 0.5, 1.0], np.float32)
    scores = rng.choice(special, size=(4, 2000)).astype(np.float32)
    best, indices = top_k_rows(scores.copy(), 40)
    truth = np.lexsort((np.arange(2000)[None, :].repeat(4, 0), -scores), axis=1)[:, :40]
    # -0.0 and 0.0 are equal scores: either order is right, so compare the scores.
    assert np.array_equal(best, np.take_along_axis(scores, truth, axis=1))
    assert np.array_equal(best, np.take_along_axis(scores, indices, axis=1))
    assert (np.diff(best, axis=1) <= 0).all()


def test_overlapping_runs_keep_blas_on_one_thread_until_the_last_ends() -> None:
    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [
            int(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas"
        ]

    original = blas_threads()
    with one_blas_thread():
        with one_blas_thread():
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}  # the outer run still holds it
    assert blas_threads() == original
