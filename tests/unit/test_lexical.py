"""The lexical half of the nightly score: BM25 of a CV's most telling words in each job."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embeddings import lexical_kernel as kernel
from embeddings.bm25 import BM25
from embeddings.lexical import LexicalIndex, TermCounts, TermTable, term_counts

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


def test_the_word_table_agrees_with_a_sort_and_a_binary_search() -> None:
    rng = np.random.default_rng(7)
    extremes = np.array([np.iinfo(np.int64).min, -1, 0, 1, np.iinfo(np.int64).max])
    for size in (1, 5, 300, 70_000):  # 70,000 distinct keys: the table grows many times
        words = np.concatenate([rng.integers(-(2**63), 2**63 - 1, size, dtype=np.int64), extremes])
        keys = rng.choice(words, 50_000)
        slot_keys, slot_columns, vocabulary = kernel.word_table(keys)
        assert np.array_equal(vocabulary, np.unique(keys))
        assert np.array_equal(
            kernel.word_columns(slot_keys, slot_columns, keys), np.searchsorted(vocabulary, keys)
        )
        unseen = np.setdiff1d(words, keys)
        assert (kernel.word_columns(slot_keys, slot_columns, unseen) == -1).all()


def test_a_table_of_stored_counts_reads_like_the_texts() -> None:
    texts = [term_counts(j) for j in JOBS] + [term_counts("")]
    table = TermTable.from_bytes([t.to_bytes() for t in texts])
    assert kernel.text_lengths(table.counts, table.sizes).tolist() == [t.length for t in texts]
    middle = table.rows(1, 3)
    assert middle.keys.tolist() == texts[1].keys.tolist() + texts[2].keys.tolist()
    assert middle.sizes.tolist() == [len(texts[1].keys), len(texts[2].keys)]


def test_cv_rows_pick_each_cvs_own_words_in_a_block() -> None:
    index = LexicalIndex([term_counts(j) for j in JOBS], query_terms=2)
    cvs = [term_counts(cv) for cv in ("nurse intensive care", "", "python spark airflow")]
    block = index.cv_rows(TermTable.of(cvs))
    one_by_one = [index.cv_rows([cv]) for cv in cvs]
    for row, alone in enumerate(one_by_one):
        assert block[row].indices.tolist() == alone.indices.tolist()
    assert [alone.nnz for alone in one_by_one] == [2, 0, 2]


def test_the_compiled_kernel_combines_what_the_sparse_product_gives() -> None:
    index = LexicalIndex([term_counts(j) for j in JOBS], query_terms=3)
    cvs = index.cv_rows(
        [term_counts(cv) for cv in ("python django spark", "zzz", "chef kitchen nurse")]
    )
    cosines = np.random.default_rng(3).random((3, len(JOBS)), dtype=np.float32)
    before = cosines.copy()
    expected = (cosines + index.scores(cvs, weight=0.3)) * np.float32(1 / 1.3)
    index.combine(cosines, cvs, 0.3)
    assert np.array_equal(cosines, expected)
    assert np.array_equal(cosines[1], before[1] * np.float32(1 / 1.3))  # "zzz": only scaled
    with pytest.raises(ValueError, match="do not fit"):
        index.combine(np.zeros((2, len(JOBS)), np.float32), cvs, 0.3)


def test_compiling_ahead_covers_every_compiled_entry_point() -> None:
    # In a fresh process: in this one, the other tests have compiled them already.
    # Those called from Python (the rest are compiled into them):
    called = ["word_table", "word_columns", "text_lengths", "term_major_weights"]
    called += ["telling_words", "_combine"]
    script = (
        "from embeddings import lexical_kernel as kernel\n"
        "from embeddings.lexical import compile_kernels\n"
        "compile_kernels()\n"
        f"print([name for name in {called!r} if not getattr(kernel, name).signatures])\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root
    )
    assert done.stdout.strip() == "[]"
