"""Ranking metrics over graded relevance, with bootstrap confidence intervals.

A ranking is a list of document ids, best first. Judgments map document ids to a grade
(0 = not relevant, higher = more relevant); documents without a judgment count as 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Judgments = Mapping[str, int]


def ndcg_at(ranking: Sequence[str], judgments: Judgments, k: int = 10) -> float:
    """Normalised discounted cumulative gain with exponential gain (2^grade - 1)."""
    ideal = sorted((g for g in judgments.values() if g > 0), reverse=True)[:k]
    ideal_dcg = sum((2.0**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    if ideal_dcg == 0:
        return 0.0
    dcg = sum(
        (2.0 ** judgments.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranking[:k])
    )
    return dcg / ideal_dcg


def reciprocal_rank(ranking: Sequence[str], judgments: Judgments) -> float:
    """1 / position of the first relevant document; 0 when none is ranked."""
    for position, doc in enumerate(ranking, start=1):
        if judgments.get(doc, 0) > 0:
            return 1.0 / position
    return 0.0


def recall_at(ranking: Sequence[str], judgments: Judgments, k: int = 50) -> float:
    """Share of the relevant documents found in the first `k`."""
    relevant = {doc for doc, grade in judgments.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def average_precision(ranking: Sequence[str], judgments: Judgments) -> float:
    """Mean of the precision at each relevant document's position, over all relevant ones."""
    relevant = {doc for doc, grade in judgments.items() if grade > 0}
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for position, doc in enumerate(ranking, start=1):
        if doc in relevant:
            hits += 1
            total += hits / position
    return total / len(relevant)


def judged_at(ranking: Sequence[str], judgments: Judgments, k: int = 10) -> float:
    """Share of the first `k` documents that carry a judgment (of any grade): how far the
    other metrics rest on judged documents rather than on unjudged ones counted as 0."""
    top = ranking[:k]
    return sum(doc in judgments for doc in top) / len(top) if top else 0.0


Metric = Callable[[Sequence[str], Judgments], float]
METRICS: dict[str, Metric] = {
    "ndcg@10": lambda ranking, judged: ndcg_at(ranking, judged, 10),
    "mrr": reciprocal_rank,
    "recall@50": lambda ranking, judged: recall_at(ranking, judged, 50),
    "map": average_precision,
    "judged@10": lambda ranking, judged: judged_at(ranking, judged, 10),
}


def per_query_metrics(ranking: Sequence[str], judgments: Judgments) -> dict[str, float]:
    """Every metric in `METRICS` for one query."""
    return {name: metric(ranking, judgments) for name, metric in METRICS.items()}


@dataclass(frozen=True)
class Estimate:
    """A mean over queries and its bootstrap 95% confidence interval."""

    mean: float
    low: float
    high: float


def bootstrap(values: Sequence[float], *, samples: int = 2000, seed: int = 0) -> Estimate:
    """Percentile bootstrap of the mean, resampling queries with replacement."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return Estimate(0.0, 0.0, 0.0)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(samples, data.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Estimate(float(data.mean()), float(low), float(high))


def paired_difference(
    mine: Sequence[float], reference: Sequence[float], *, samples: int = 2000, seed: int = 0
) -> Estimate:
    """Mean per-query difference `mine - reference` with a bootstrap 95% interval,
    resampling queries (the same queries for both systems: a paired comparison)."""
    if len(mine) != len(reference):
        raise ValueError("a paired comparison needs one value per query from each system")
    differences = np.asarray(mine, dtype=np.float64) - np.asarray(reference, dtype=np.float64)
    return bootstrap(differences.tolist(), samples=samples, seed=seed)


def summarise(per_query: Sequence[Mapping[str, float]]) -> dict[str, Estimate]:
    """Mean and 95% interval of each metric across queries."""
    return {name: bootstrap([q[name] for q in per_query]) for name in METRICS}


def wilson(successes: int, trials: int, *, z: float = 1.96) -> Estimate:
    """A proportion and its Wilson score 95% interval (sound near 0 and 1, unlike the
    normal approximation, and for small samples)."""
    if trials == 0:
        return Estimate(0.0, 0.0, 0.0)
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    spread = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    spread /= 1 + z * z / trials
    return Estimate(share, max(0.0, centre - spread), min(1.0, centre + spread))


def rate_difference(first: Estimate, second: Estimate) -> Estimate:
    """`first - second` of two independent Wilson estimates, with Newcombe's hybrid score
    95% interval (method 10), built from the two intervals."""
    difference = first.mean - second.mean
    below = math.hypot(first.mean - first.low, second.high - second.mean)
    above = math.hypot(first.high - first.mean, second.mean - second.low)
    return Estimate(difference, difference - below, difference + above)


def mean_difference(
    first: Sequence[float], second: Sequence[float], *, samples: int = 2000, seed: int = 0
) -> Estimate:
    """Mean of `first` minus mean of `second` (independent groups), with a percentile
    bootstrap 95% interval resampling each group on its own."""
    a, b = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    if a.size == 0 or b.size == 0:
        return Estimate(0.0, 0.0, 0.0)
    rng = np.random.default_rng(seed)
    means_a = a[rng.integers(0, a.size, size=(samples, a.size))].mean(axis=1)
    means_b = b[rng.integers(0, b.size, size=(samples, b.size))].mean(axis=1)
    low, high = np.percentile(means_a - means_b, [2.5, 97.5])
    return Estimate(float(a.mean() - b.mean()), float(low), float(high))
