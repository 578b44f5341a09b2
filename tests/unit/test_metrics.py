"""Ranking metrics against values computed by hand on tiny rankings."""

from __future__ import annotations

import math

import pytest

from embeddings.metrics import (
    Estimate,
    average_precision,
    bootstrap,
    judged_at,
    mean_difference,
    ndcg_at,
    paired_difference,
    per_query_metrics,
    rate_difference,
    recall_at,
    reciprocal_rank,
    summarise,
    wilson,
)

# Grades: a=2 (highly relevant), b=1 (related), c=0 (judged irrelevant); d unjudged.
JUDGED = {"a": 2, "b": 1, "c": 0}


def test_ndcg_by_hand() -> None:
    # ranking d, b, a: DCG = 0/log2(2) + 1/log2(3) + 3/log2(4); ideal a, b: 3/1 + 1/log2(3)
    dcg = 1 / math.log2(3) + 3 / 2
    ideal = 3 + 1 / math.log2(3)
    assert ndcg_at(["d", "b", "a"], JUDGED, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at(["a", "b", "c"], JUDGED, 10) == pytest.approx(1.0)
    assert ndcg_at(["d", "b", "a"], JUDGED, 1) == 0.0
    assert ndcg_at(["a"], {"x": 0}, 10) == 0.0


def test_reciprocal_rank_by_hand() -> None:
    assert reciprocal_rank(["c", "d", "b", "a"], JUDGED) == pytest.approx(1 / 3)
    assert reciprocal_rank(["c", "d"], JUDGED) == 0.0


def test_recall_by_hand() -> None:
    assert recall_at(["a", "c"], JUDGED, 50) == pytest.approx(0.5)
    assert recall_at(["c", "d", "a", "b"], JUDGED, 2) == 0.0
    assert recall_at(["c", "d", "a", "b"], JUDGED, 4) == 1.0


def test_average_precision_by_hand() -> None:
    # relevant a, b at positions 2 and 4: (1/2 + 2/4) / 2 = 0.5
    assert average_precision(["c", "a", "d", "b"], JUDGED) == pytest.approx(0.5)
    # only a found, at position 1: (1/1) / 2 relevant = 0.5
    assert average_precision(["a", "c"], JUDGED) == pytest.approx(0.5)


def test_per_query_metrics_names_every_metric() -> None:
    values = per_query_metrics(["a", "b"], JUDGED)
    expected = {"ndcg@10": 1.0, "mrr": 1.0, "recall@50": 1.0, "map": 1.0, "judged@10": 1.0}
    assert values == expected


def test_judged_at_counts_the_judged_share_of_the_top() -> None:
    assert judged_at(["a", "d", "c", "x"], JUDGED, 4) == 0.5  # d and x unjudged
    assert judged_at(["c"], JUDGED, 10) == 1.0
    assert judged_at([], JUDGED) == 0.0


def test_paired_difference_is_the_mean_per_query_gap() -> None:
    better, worse = [0.9, 0.8, 0.7, 0.6] * 5, [0.5, 0.5, 0.5, 0.5] * 5
    gap = paired_difference(better, worse)
    assert gap.mean == pytest.approx(0.25)
    assert 0.0 < gap.low <= gap.mean <= gap.high
    with pytest.raises(ValueError, match="one value per query"):
        paired_difference([0.1], [0.1, 0.2])


def test_bootstrap_interval_brackets_the_mean_and_is_repeatable() -> None:
    values = [0.0, 0.5, 1.0, 0.25, 0.75] * 4
    estimate = bootstrap(values, seed=1)
    assert estimate.mean == pytest.approx(0.5)
    assert estimate.low < 0.5 < estimate.high
    assert bootstrap(values, seed=1) == estimate
    assert bootstrap([0.3] * 10).low == pytest.approx(0.3)


def test_summarise_averages_each_metric() -> None:
    summary = summarise(
        [
            {"ndcg@10": 1.0, "mrr": 1.0, "recall@50": 1.0, "map": 1.0, "judged@10": 1.0},
            {"ndcg@10": 0.0, "mrr": 0.5, "recall@50": 0.0, "map": 0.0, "judged@10": 0.5},
        ]
    )
    assert summary["mrr"].mean == pytest.approx(0.75)
    assert summary["ndcg@10"].mean == pytest.approx(0.5)


def test_wilson_intervals_match_the_published_values() -> None:
    # Newcombe (1998), Statistics in Medicine 17: 0/10 and 5/10 (method 3).
    none, half = wilson(0, 10), wilson(5, 10)
    assert (none.low, round(none.high, 4)) == (0.0, 0.2775)
    assert (round(half.low, 4), round(half.high, 4)) == (0.2366, 0.7634)
    assert wilson(0, 0) == Estimate(0.0, 0.0, 0.0)


def test_a_difference_of_rates_has_newcombes_interval() -> None:
    # The same paper's example: 56/70 against 48/80, method 10: 0.0524 to 0.3339.
    difference = rate_difference(wilson(56, 70), wilson(48, 80))
    assert round(difference.mean, 4) == 0.2
    assert (round(difference.low, 4), round(difference.high, 4)) == (0.0524, 0.3339)


def test_a_difference_of_means_of_independent_groups() -> None:
    near = mean_difference([1.0, 2.0, 3.0, 2.0] * 50, [6.0, 7.0, 8.0, 7.0] * 50)
    assert near.mean == -5.0
    assert near.low < -5.0 < near.high < 0
    assert mean_difference([], [1.0]) == Estimate(0.0, 0.0, 0.0)
