"""The lexical half of the nightly score: BM25 of a CV's most telling words in each job."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.bm25 import BM25
from embeddings.lexical import LexicalIndex, TermCounts, term_counts

JOBS = [
    "Senior Python developer: Django, PostgreSQL, APIs",
    "Registered nurse for the intensive care unit",
    "Python data engineer: Spark, Airflow, PostgreSQL",
    "Chef de partie for a busy kitchen",
]


def test_with_every_word_it_is_bm25_over_the_cvs_best_job() -> None:
    cv = "Python developer with Django and PostgreSQL experience, some Airflow"
    index = LexicalIndex([term_counts(j) for j in JOBS], query_terms=1000)
    scores = index.scores(index.cv_rows([term_counts(cv)]))[0]
    reference = np.array(BM25(JOBS).scores(cv))
    assert scores == pytest.approx(reference / reference.max(), abs=1e-5)
    assert scores.max() == pytest.approx(1.0)


def test_only_the_cvs_most_telling_words_count() -> None:
    # "python" is in half the jobs; "django" and "airflow" in one each, so rarer.
    cv = term_counts("python python python django airflow")
    index = LexicalIndex([term_counts(j) for j in JOBS], query_terms=2)
    rows = index.cv_rows([cv])
    assert rows.nnz == 2
    scores = index.scores(rows)[0]
    assert scores[1] == 0.0
    assert scores[3] == 0.0
    assert scores[0] > 0
    assert scores[2] > 0


def test_unknown_words_and_empty_cvs_score_nothing() -> None:
    index = LexicalIndex([term_counts(j) for j in JOBS])
    rows = index.cv_rows([term_counts("zzz qqq"), TermCounts.from_bytes(b"", b"")])
    assert rows.nnz == 0
    assert not index.scores(rows).any()


def test_counts_survive_storage() -> None:
    counted = term_counts("Python python C++ and C#")
    restored = TermCounts.from_bytes(*counted.to_bytes())
    assert restored.keys.tolist() == counted.keys.tolist()
    assert sorted(restored.counts.tolist()) == [1, 1, 2]
    assert restored.length == 4  # "and" is a stop word
