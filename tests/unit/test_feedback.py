"""Votes move the query: toward liked jobs, away from disliked ones."""

from __future__ import annotations

import numpy as np

from embeddings.feedback import adjusted_query


def _unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a)


def test_liked_jobs_pull_and_disliked_ones_push() -> None:
    query = _unit([1, 0, 0])
    liked, disliked = _unit([0, 1, 0]), _unit([0, 0, 1])
    moved = adjusted_query(query, liked[None, :], disliked[None, :])
    assert abs(float(np.linalg.norm(moved)) - 1) < 1e-6
    assert moved @ liked > query @ liked
    assert moved @ disliked < query @ disliked
    assert moved @ query > 0.7  # the CV still leads


def test_no_votes_change_nothing() -> None:
    query = _unit([0.3, 0.4, 0.5])
    empty = np.zeros((0, 3), dtype=np.float32)
    assert np.array_equal(adjusted_query(query, empty, empty), query)
