"""The character n-gram TF-IDF baseline: near-identical texts first, rare n-grams weigh most."""

from __future__ import annotations

import pytest

from embeddings.char_tfidf import CharTfidf, char_ngrams

DOCS = [
    "Senior Python developer: Django, PostgreSQL and AWS",
    "Registered nurse for the night shift in a busy hospital",
    "Java developer with Spring Boot and Kafka microservices",
    "Civil engineer for bridge construction and site supervision",
]


def test_ngrams_stay_inside_padded_words() -> None:
    assert char_ngrams("Go SQL") == [
        " go",
        "go ",
        " go ",
        " sq",
        "sql",
        "ql ",
        " sql",
        "sql ",
        " sql ",
    ]
    # No n-gram spans the space between two words.
    assert not any(gram.strip().count(" ") for gram in char_ngrams("data science team"))


def test_a_near_identical_text_ranks_first() -> None:
    index = CharTfidf(DOCS)
    # Typos and other word forms than the document's: whole-word matching misses these.
    query = "Java develloper, Spring-Boot, Kafka microservice"
    assert index.rank(query)[0] == 2
    assert index.rank("registred nurses, hospitals, night shifts")[0] == 1
    assert index.scores(DOCS[3])[3] == pytest.approx(1.0)


def test_shared_rare_ngrams_beat_common_ones() -> None:
    # "kotlin" is in one document, "python" in three; each document shares one with the query.
    index = CharTfidf(["alpha kotlin", "bravo python", "delta python", "gamma python"])
    scores = index.scores("kotlin python")
    assert index.rank("kotlin python")[0] == 0
    assert scores[0] > scores[1] > 0
    assert scores[1] == pytest.approx(scores[2]) == pytest.approx(scores[3])


def test_unknown_text_scores_zero_and_ties_keep_document_order() -> None:
    index = CharTfidf(DOCS)
    assert index.scores("zzzzqqq") == [0.0] * len(DOCS)
    assert index.rank("zzzzqqq") == [0, 1, 2, 3]
    assert CharTfidf([]).scores("anything") == []
