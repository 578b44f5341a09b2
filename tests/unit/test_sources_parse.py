"""Each source parses its own fixture (shaped like the real API) into clean records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from workers.sources import SOURCE_CLASSES, Adzuna, Arbeitnow, RemoteOK, Remotive, TheMuse
from workers.sources.base import JobSource, SourceError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def by_id(source: JobSource, body: Any) -> dict[str, Any]:
    return {r.source_id: r for r in source.parse(body).records}


def test_remoteok_repairs_mojibake_and_cleans_html() -> None:
    result = RemoteOK().parse(load("remoteok.json"))
    records = {r.source_id: r for r in result.records}
    assert set(records) == {"1130801", "1130802"}
    job = records["1130801"]
    assert job.location == "Gdańsk, Poland"
    assert "We're building robots" in job.description  # ftfy also straightens quotes
    assert "<" not in job.description
    assert "\n- Write Python services\n" in job.description  # list items kept as items
    assert "\n\n" in job.description  # paragraphs kept
    assert "SPARKLE" not in job.description  # the anti-spam sentence is cut
    assert (job.salary_min, job.salary_max, job.salary_currency) == (
        Decimal("90000.00"),
        Decimal("120000.00"),
        "USD",
    )
    assert job.remote
    assert job.posted_at == datetime(2026, 3, 16, 0, 0, 3, tzinfo=UTC)
    assert records["1130802"].salary_min is None  # 0 means "not stated"
    assert dict(result.skipped) == {
        "description is empty or only markup": 1,
        "position is empty": 1,
    }


def test_remotive_parses_salary_text_and_skips_wrong_types() -> None:
    result = Remotive().parse(load("remotive.json"))
    records = {r.source_id: r for r in result.records}
    assert records["2091101"].salary_min == Decimal("80000")
    assert records["2091101"].salary_max == Decimal("100000")
    assert records["2091101"].category == "Software Development"
    assert records["2091101"].posted_at.tzinfo is UTC
    assert records["2091102"].salary_min is None  # hourly rates are not yearly salaries
    assert records["2091102"].description == "Write clear articles."
    assert dict(result.skipped) == {"tags is not a list of text": 1}


def test_arbeitnow_keeps_german_text_and_remote_flag() -> None:
    result = Arbeitnow().parse(load("arbeitnow-page1.json"))
    [job] = result.records
    assert "Persönlichkeit" in job.description
    assert job.remote is False
    assert job.source_id == "backend-entwickler-python-berlin-78201"
    assert dict(result.skipped) == {"remote is not true/false": 1}


def test_adzuna_strips_rating_from_company() -> None:
    records = by_id(Adzuna("id", "key"), load("adzuna.json"))
    assert records["5300000001"].company == "Kettle Software Ltd"
    assert records["5300000001"].salary_currency == "GBP"
    assert records["5300000001"].category == "IT Jobs"
    assert records["5300000002"].remote  # "Remote" in the title


def test_themuse_joins_locations_and_skips_missing_company() -> None:
    result = TheMuse().parse(load("themuse.json"))
    records = {r.source_id: r for r in result.records}
    assert records["20900001"].location == "Flexible / Remote; Austin, TX"
    assert records["20900001"].remote
    assert records["20900002"].category == "Sales"
    assert dict(result.skipped) == {"company is missing or not an object": 1}


@pytest.mark.parametrize(
    ("cls", "body"),
    [
        (RemoteOK, {"jobs": []}),
        (Remotive, []),
        (Arbeitnow, {"data": "nope"}),
        (TheMuse, {"page": 1}),
    ],
)
def test_a_body_of_the_wrong_shape_fails_the_source(cls: type[JobSource], body: Any) -> None:
    with pytest.raises(SourceError, match="body is not"):
        cls().parse(body)


def test_every_fixture_is_recognised_as_its_own_source() -> None:
    expected = {
        "remoteok.json": "remoteok",
        "remotive.json": "remotive",
        "arbeitnow-page1.json": "arbeitnow",
        "adzuna.json": "adzuna",
        "themuse.json": "themuse",
    }
    for filename, name in expected.items():
        body = load(filename)
        assert [n for n, c in SOURCE_CLASSES.items() if c.looks_like(body)] == [name]


def test_items_that_are_not_objects_are_skipped() -> None:
    result = Remotive().parse({"jobs": ["just text", 42]})
    assert result.records == []
    assert dict(result.skipped) == {"item is not a JSON object": 2}
