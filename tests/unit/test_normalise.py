"""Clean text, times, salaries, and files of normalised jobs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from workers.pipelines.normalise import (
    ImportFileError,
    parse_csv,
    parse_jsonl,
    record_from_mapping,
    record_to_mapping,
)
from workers.sources import clean
from workers.sources.base import BadRecordError, JobRecord, JobRecordError

GOOD = {
    "source": "manual",
    "source_id": "a-1",
    "title": "Python Developer",
    "company": "Acme",
    "location": "Berlin",
    "remote": False,
    "salary_min": "50000",
    "salary_max": "70000",
    "salary_currency": "eur",
    "tags": ["python", "sql"],
    "category": "Engineering",
    "description": "<p>Build things.</p><ul><li>Python</li></ul>",
    "url": "https://example.org/a-1",
    "posted_at": "2026-01-05T10:00:00+01:00",
}


def test_description_keeps_paragraphs_and_lists() -> None:
    text = clean.clean_description(
        {"d": "<h2>Role</h2><p>Build &amp; ship.</p><ul><li>one</li><li>two</li></ul>"}, "d"
    )
    assert text == "Role\n\nBuild & ship.\n\n- one\n- two"


@pytest.mark.parametrize("html", ["", "   ", "<p></p><br/>", "<img src='x.png'>", None])
def test_empty_or_markup_only_descriptions_are_rejected(html: str | None) -> None:
    with pytest.raises(BadRecordError, match="description is empty"):
        clean.clean_description({"d": html}, "d")


def test_non_utf8_bytes_reject_the_record() -> None:
    raw = b"Caf\xe9 manager".decode("utf-8", errors="surrogateescape")
    with pytest.raises(BadRecordError, match="not UTF-8"):
        clean.text({"title": raw}, "title")


def test_times_become_aware_utc() -> None:
    assert clean.timestamp("2026-01-05T10:00:00+01:00", "t") == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert clean.timestamp("2026-01-05T10:00:00", "t") == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert clean.timestamp(1767607200, "t") == datetime(2026, 1, 5, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", ["1970-01-01T00:00:00", "3026-01-01T00:00:00Z", "yesterday", True, None, [1]]
)
def test_absurd_or_wrong_times_are_rejected(value: object) -> None:
    with pytest.raises(BadRecordError):
        clean.timestamp(value, "t")


def test_a_time_more_than_a_day_ahead_is_absurd() -> None:
    ahead = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    with pytest.raises(BadRecordError, match="absurd"):
        clean.timestamp(ahead, "t")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$80k - $100k", (Decimal(80000), Decimal(100000), "USD")),
        ("€45,000 - €60,000", (Decimal(45000), Decimal(60000), "EUR")),
        ("$31,2k- $52k", (Decimal("31200"), Decimal(52000), "USD")),
        ("$18 - $22/hr", (None, None, None)),
        ("competitive", (None, None, None)),
        ("", (None, None, None)),
    ],
)
def test_salary_text(text: str, expected: tuple[object, ...]) -> None:
    assert clean.salary_text(text) == expected


@pytest.mark.parametrize("value", [10**30, "1e40", 1e20])
def test_absurd_salary_amounts_reject_the_record(value: object) -> None:
    # 10**30 once escaped as decimal.InvalidOperation and failed the source's whole run.
    with pytest.raises(BadRecordError, match="absurd amount"):
        clean.amount(value, "salary_max")


def test_large_real_salaries_are_kept() -> None:
    assert clean.amount(600_000_000, "salary_max") == Decimal(600_000_000)  # IDR a year


def test_record_round_trips_through_a_mapping() -> None:
    record = record_from_mapping(GOOD, None)
    assert record.posted_at == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert record.salary_currency == "EUR"
    assert record.description == "Build things.\n\n- Python"
    assert record_from_mapping(record_to_mapping(record), None) == record


def test_jobrecord_refuses_naive_or_non_utc_times() -> None:
    base = record_from_mapping(GOOD, None)
    with pytest.raises(JobRecordError, match="aware"):
        JobRecord(**{**base.__dict__, "posted_at": datetime(2026, 1, 5)})
    with pytest.raises(JobRecordError, match="UTC"):
        JobRecord(
            **{
                **base.__dict__,
                "posted_at": datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=2))),
            }
        )


def test_jsonl_keeps_good_lines_and_counts_bad_ones() -> None:
    lines = [
        json.dumps(GOOD).encode(),
        json.dumps({**GOOD, "source_id": "a-2", "title": None}).encode(),
        json.dumps({**GOOD, "source_id": "a-3", "remote": "maybe"}).encode(),
        b'{"source_id": "a-4", "title": "Caf\xe9"',  # truncated and not UTF-8
        json.dumps(
            {**GOOD, "source_id": "a-5", "title": "Caf\udce9"}
        ).encode(),  # escaped surrogate
        b"",
        json.dumps({**GOOD, "source_id": "a-6", "source": ""}).encode(),
    ]
    result = parse_jsonl(b"\n".join(lines), "fallback")
    assert [(r.source, r.source_id) for r in result.records] == [
        ("manual", "a-1"),
        ("fallback", "a-6"),
    ]
    assert dict(result.skipped) == {
        "title is missing": 1,
        "remote is not true/false": 1,
        "line is not valid JSON": 1,
        "title holds bytes that are not UTF-8": 1,
    }


def test_csv_reads_rows_and_rejects_a_bad_header() -> None:
    header = "source,source_id,title,company,location,remote,tags,description,url,posted_at"
    rows = [
        header,
        'manual,c-1,Data Analyst,Numbers,Leeds,true,sql|excel,"<p>Count.</p>",https://x.org,1767607200',
        "manual,c-2,Broken,Numbers,Leeds,sometimes,,text,https://x.org,2026-01-05",
    ]
    result = parse_csv("\n".join(rows).encode(), None)
    [record] = result.records
    assert record.tags == ("sql", "excel")
    assert record.remote
    assert dict(result.skipped) == {"remote is not true/false": 1}
    with pytest.raises(ImportFileError, match="lacks column"):
        parse_csv(b"title,company\nx,y\n", None)
