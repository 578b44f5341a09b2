"""Labelled sets: the file format round-trips, bad files are refused, shared data builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.evaluation.build import from_shared_data
from workers.evaluation.categories import CV_TO_JOB_CATEGORIES, grade
from workers.evaluation.dataset import DatasetError, Document, LabelledSet, Query, load, save

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def test_round_trip(tmp_path: Path) -> None:
    labelled = LabelledSet(
        "t",
        [Query("q", "python", "Python Developer"), Query("unjudged", "java")],
        [Document("d", "Python dev", "Django", tags=("python",))],
        {"q": {"d": 2}},
        derived=True,
        note="derived",
    )
    save(labelled, tmp_path / "set.json")
    loaded = load(tmp_path / "set.json")
    assert loaded == labelled
    assert [q.id for q in loaded.judged_queries()] == ["q"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not a labelled set"),
        ('{"name": "x"}', "is not a labelled set"),
        ('{"name": "x", "queries": [], "documents": [], "judgments": {}}', "no query"),
    ],
)
def test_bad_files_are_refused_with_the_reason(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        load(path)
    with pytest.raises(DatasetError, match="no labelled set"):
        load(tmp_path / "missing.json")


def test_grades_follow_the_mapping() -> None:
    assert grade("Java Developer", ("Software Development",)) == 2
    assert grade("Data Science", ("Software Development",)) == 1
    assert grade("Data Science", ("Data and Analytics", "Software Development")) == 2
    assert grade("HR", ("Software Development",)) == 0
    assert grade("Unmapped", ("Sales",)) == 0
    assert all(max(table.values()) >= 1 for table in CV_TO_JOB_CATEGORIES.values())


@pytest.mark.skipif(not SHARED_DATA.exists(), reason=f"real data not present at {SHARED_DATA}")
def test_shared_data_builds_a_derived_set() -> None:
    labelled = from_shared_data(SHARED_DATA)
    assert labelled.derived
    assert "DERIVED" in labelled.note
    assert len(labelled.queries) >= 150  # 166 distinct resumes, each with a relevant job
    assert len(labelled.documents) >= 80
    assert {d.category for d in labelled.documents}.isdisjoint({"Unknown", "All others", None})
    ids = {d.id for d in labelled.documents}
    for query in labelled.judged_queries():
        judged = labelled.judgments[query.id]
        assert set(judged) <= ids
        assert all(g in (1, 2) for g in judged.values())
