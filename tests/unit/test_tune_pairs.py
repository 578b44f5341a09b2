"""Training pairs for `jobmatch tune`: what each kind holds, hard negatives, and the split
that keeps every reported CV out of training."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema.queries.tune_pairs import TuneJob
from workers.evaluation.dataset import Document, LabelledSet, Query, load
from workers.pipelines.tune_pairs import (
    capped,
    count_by_kind,
    duplicate_pairs,
    feedback_pairs,
    graded_pairs,
    is_held_out,
    section_pairs,
    split_set,
    without_texts,
)

JUDGED = Path(__file__).parents[2] / "eval" / "sets" / "judged-cv-jobs.json"


def _job(n: int, title: str, description: str = "Build services.") -> TuneJob:
    return TuneJob(n, title, f"Company {n}", "Berlin", False, ["python"], None, description)


def _document(doc_id: str, title: str) -> Document:
    return Document(doc_id, title, f"{title}: the daily work.")


def _labelled(queries: int) -> LabelledSet:
    """CVs cv-0… each with a relevant job (grade 3), a partial one (1) and a miss (0)."""
    docs = [
        _document("good", "Data engineer"),
        _document("near", "Analyst"),
        _document("miss", "Nurse"),
    ]
    return LabelledSet(
        name="toy",
        queries=[
            Query(f"cv-{n}", f"Data engineer number {n}, Spark and Airflow.")
            for n in range(queries)
        ],
        documents=docs,
        judgments={f"cv-{n}": {"good": 3, "near": 1, "miss": 0} for n in range(queries)},
    )


def test_the_split_is_stable_halves_and_never_overlaps() -> None:
    labelled = _labelled(200)
    train, held_out = split_set(labelled)
    train_ids, held_ids = {q.id for q in train.queries}, {q.id for q in held_out.queries}
    assert not train_ids & held_ids
    assert train_ids | held_ids == {q.id for q in labelled.queries}
    assert 70 < len(held_ids) < 130  # about half
    assert set(held_out.judgments) == held_ids
    assert set(train.judgments) == train_ids
    again_train, _ = split_set(labelled)
    assert [q.id for q in again_train.queries] == [q.id for q in train.queries]
    # Decided by the CV's text, whatever the set calls it: a CV is held out everywhere.
    text = labelled.queries[0].text
    assert is_held_out(text) == is_held_out(f"  {text}\n")


def test_graded_pairs_come_from_the_train_split_only_with_grade_0_as_hard_negative() -> None:
    train, held_out = split_set(_labelled(40))
    pairs = graded_pairs(train)
    held_texts = {q.text for q in held_out.queries}
    assert pairs
    assert all(pair.kind == "graded" for pair in pairs)
    assert not any(pair.anchor in held_texts for pair in pairs)
    assert {pair.anchor for pair in pairs} == {q.text for q in train.queries}
    # Grade ≥ 2 is the positive, grade 0 the hard negative; grade 1 is neither.
    assert all(pair.positive.startswith("Data engineer. ") for pair in pairs)
    assert all((pair.negative or "").startswith("Nurse. ") for pair in pairs)


def test_the_judged_set_splits_into_two_non_empty_halves_by_its_cv_texts() -> None:
    if not (JUDGED.parents[3] / "shared" / "data").is_dir():
        pytest.skip("the judged set reads its CV texts from ../shared/data, absent here")
    train, held_out = split_set(load(JUDGED))
    assert len(train.judged_queries()) + len(held_out.judged_queries()) == 40
    assert 10 <= len(held_out.judged_queries()) <= 30
    assert not {q.text for q in train.queries} & {q.text for q in held_out.queries}


def test_feedback_pairs_use_down_votes_as_hard_negatives() -> None:
    cv = "Python developer, Django and PostgreSQL. " * 60  # several windows
    liked = [_job(1, "Backend developer"), _job(2, "Django engineer")]
    disliked = [_job(3, "Sales manager")]
    pairs = feedback_pairs(cv, liked, disliked)
    assert {pair.kind for pair in pairs} == {"feedback"}
    assert {pair.positive.split(" at ")[0] for pair in pairs} == {
        "Backend developer",
        "Django engineer",
    }
    assert all((pair.negative or "").startswith("Sales manager") for pair in pairs)
    assert len(pairs) == 2 * 3  # each liked job with the CV's first three windows
    assert feedback_pairs(cv, liked, [])[0].negative is None


def test_section_pairs_join_a_jobs_head_to_its_requirements() -> None:
    described = _job(
        1,
        "Data engineer",
        "We are a fast-growing startup.\nRequirements:\nSpark, Airflow and SQL.\n"
        "Benefits:\nFree lunch.",
    )
    no_sections = _job(2, "Nurse", "Care for patients on the ward.")
    (pair,) = section_pairs([described, no_sections])
    assert pair.kind == "sections"
    assert pair.anchor.startswith("Data engineer at Company 1")
    assert "Spark, Airflow and SQL." in pair.positive
    assert "lunch" not in pair.positive
    assert "startup" not in pair.positive


def test_duplicate_pairs_pair_each_source_with_the_others_text() -> None:
    one = _job(1, "Data engineer", "Written by board one.")
    two = _job(2, "Data engineer", "Written by board two.")
    pairs = duplicate_pairs([[one, two]])
    assert {(p.anchor.endswith("board one."), p.positive) for p in pairs} == {
        (True, "Written by board two."),
        (False, "Written by board one."),
    }


def test_reported_cvs_leave_every_kind_of_pair() -> None:
    reported_cv = "Nurse on a cardiology ward. " * 50
    kept_cv = "Data engineer with Spark. " * 10
    job = _job(1, "Ward nurse")
    pairs = feedback_pairs(reported_cv, [job], []) + feedback_pairs(kept_cv, [job], [])
    kept = without_texts(pairs, {reported_cv})
    assert kept
    assert all(pair.anchor == kept_cv.strip() for pair in kept)


def test_capped_is_a_seeded_sample_of_distinct_pairs() -> None:
    pairs = section_pairs(
        [_job(n, f"Engineer {n}", "Requirements:\nPython and SQL.") for n in range(50)]
    )
    first, second = capped(pairs + pairs, 20, seed=1), capped(pairs, 20, seed=1)
    assert first == second
    assert len(first) == 20
    assert len(set(first)) == 20
    assert count_by_kind(first) == {
        "feedback": 0,
        "graded": 0,
        "duplicate": 0,
        "sections": 20,
        "with_hard_negative": 0,
    }
