"""English plurals fold into their singular; singular words, names and other scripts stay."""

from __future__ import annotations

import pytest

from embeddings.plurals import singular

PAIRS = {
    "engineers": "engineer",
    "apis": "api",
    "technologies": "technology",
    "analyses": "analysis",
    "hypotheses": "hypothesis",
    "companies": "company",
    "libraries": "library",
    "services": "service",
    "databases": "database",
    "classes": "class",
    "processes": "process",
    "businesses": "business",
    "addresses": "address",
    "boxes": "box",
    "indexes": "index",
    "indices": "index",
    "matches": "match",
    "approaches": "approach",
    "dashes": "dash",
    "caches": "cache",
    "videos": "video",
    "ideas": "idea",
    "schemas": "schema",
    "kpis": "kpi",
    "llms": "llm",
    "sdks": "sdk",
    "keys": "key",
    "metrics": "metric",
    "criteria": "criterion",
    "https": "http",
}

UNCHANGED = [
    # Singular words ending in s, which a stemmer would cut.
    "business",
    "class",
    "process",
    "access",
    "analysis",
    "basis",
    "status",
    "campus",
    "bonus",
    "physics",
    "analytics",
    "statistics",
    "logistics",
    "economics",
    "series",
    "species",
    "news",
    "goods",
    # Names of tools and systems.
    "kubernetes",
    "javascript",
    "typescript",
    "postgres",
    "jenkins",
    "redis",
    "pandas",
    "keras",
    "windows",
    "rails",
    "devops",
    "mlops",
    "macos",
    "nodejs",
    "saas",
    "canvas",
    "atlas",
    # Too short to tell, words with digits or punctuation, other scripts.
    "aws",
    "ios",
    "gis",
    "k8s",
    "node.js",
    "führungskräfte",
    "kenntnisse",
    "данные",
    # Not plurals at all.
    "python",
    "engineer",
    "data",
    "management",
]


@pytest.mark.parametrize(("plural", "one"), PAIRS.items())
def test_plurals_fold_into_their_singular(plural: str, one: str) -> None:
    assert singular(plural) == one
    assert singular(one) == one  # the singular stays, so both are one term


@pytest.mark.parametrize("word", UNCHANGED)
def test_words_that_are_not_plurals_stay(word: str) -> None:
    assert singular(word) == word


def test_folding_twice_changes_nothing() -> None:
    words = [*PAIRS, *PAIRS.values(), *UNCHANGED, "ties", "lies", "boxes", "quizzes"]
    for word in words:
        assert singular(singular(word)) == singular(word)


def test_different_words_stay_apart() -> None:
    # Words a careless rule would make one: each pair must fold apart.
    for one, other in [
        ("news", "new"),
        ("goods", "good"),
        ("windows", "window"),
        ("rails", "rail"),
        ("pandas", "panda"),
        ("canvas", "canva"),
        ("analytics", "analytic"),
        ("logistics", "logistic"),
        ("business", "busines"),
        ("kubernetes", "kubernete"),
    ]:
        assert singular(one) != singular(other)
