"""The BM25 baseline ranks documents sharing rare query terms first."""

from __future__ import annotations

import math

import pytest

from embeddings.bm25 import BM25, tokenize

DOCS = [
    "Senior Python developer: Django, PostgreSQL and AWS",
    "Registered nurse for the night shift in a busy hospital",
    "Java developer with Spring Boot and Kafka",
    "C++ and C# game engine programmer",
]


def test_tokenize_keeps_language_names_and_drops_stop_words() -> None:
    assert tokenize("The C++ and C# developer for Python") == ["c++", "c#", "developer", "python"]


def test_rank_puts_the_matching_document_first() -> None:
    index = BM25(DOCS)
    assert index.rank("python django developer")[0] == 0
    assert index.rank("nurse hospital")[0] == 1
    assert index.rank("c++ engine")[0] == 3


def test_score_matches_the_formula_for_one_term() -> None:
    index = BM25(["apple banana", "cherry"], k1=1.2, b=0.75)
    idf = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    norm = 1.2 * (1 - 0.75 + 0.75 * 2 / 1.5)
    assert index.scores("apple") == pytest.approx([idf * 2.2 / (1 + norm), 0.0])


def test_unknown_terms_score_zero() -> None:
    assert BM25(DOCS).scores("astronaut") == [0.0] * len(DOCS)
