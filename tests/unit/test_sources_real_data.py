"""The parsers against the real saved API responses in ../shared/data (skipped when absent)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workers.sources import Adzuna, Arbeitnow, RemoteOK, Remotive, TheMuse
from workers.sources.base import BadRecordError, JobRecordError, JobSource

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "api-responses"

CASES = [
    (RemoteOK(), "remoteok-2026-03-17.json", 97),
    (Remotive(), "remotive-2026-07-18.json", 42),
    (Arbeitnow(), "arbeitnow-2026-05.json", 100),
    (Adzuna("id", "key", country="us"), "adzuna-us-2025-07.json", 10),
    (TheMuse(), "themuse-results-mixed.json", 200),
]


@pytest.mark.parametrize(("source", "filename", "items"), CASES, ids=[c[1] for c in CASES])
def test_real_response_parses(source: JobSource, filename: str, items: int) -> None:
    path = DATA / filename
    if not path.exists():
        pytest.skip(f"real API responses are absent ({path} not found)")
    result = source.parse(json.loads(path.read_text(encoding="utf-8")))
    assert len(result.records) + sum(result.skipped.values()) == items
    assert len(result.records) >= items * 0.95  # real data is mostly good
    for record in result.records:
        assert record.posted_at.utcoffset() is not None
        assert record.title
        assert record.description.strip()
        assert "<p>" not in record.description
        assert "</li>" not in record.description
        assert "â\x80" not in record.description
        assert "â€" not in record.description


def test_remoteok_real_mojibake_is_repaired() -> None:
    path = DATA / "remoteok-2026-03-17.json"
    if not path.exists():
        pytest.skip(f"real API responses are absent ({path} not found)")
    body = json.loads(path.read_text(encoding="utf-8"))
    # UTF-8 read as Latin-1: "’" arrives as "â\x80\x99", "ń" as "Å\x84".
    assert any("â\x80\x99" in item.get("description", "") for item in body)
    records = RemoteOK().parse(body).records
    assert not any("â\x80" in r.description or "Å\x84" in r.location for r in records)
    assert any("Gdańsk" in r.location for r in records)


# Any HTML tag (not "a < b"), as the converter must leave none behind.
_ANY_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_ITEM_LINE = re.compile(r"^(?:  )*(?:-|\d+\.) \S", re.MULTILINE)
# The Muse and Adzuna name their description field differently.
_HTML_FIELD = {"themuse-results-mixed.json": "contents"}


@pytest.mark.parametrize(("source", "filename", "items"), CASES, ids=[c[1] for c in CASES])
def test_real_descriptions_keep_paragraphs_and_lists(
    source: JobSource, filename: str, items: int
) -> None:
    """Where the HTML has paragraphs and list items, the clean text has them too."""
    path = DATA / filename
    if not path.exists():
        pytest.skip(f"real API responses are absent ({path} not found)")
    raw = source.items(json.loads(path.read_text(encoding="utf-8")))
    field = _HTML_FIELD.get(filename, "description")
    checked = {"paragraphs": [0, 0], "lists": [0, 0]}
    for item in raw:
        try:
            record = source.parse_item(item)
        except (BadRecordError, JobRecordError):
            continue
        html = item.get(field) or ""
        assert not _ANY_TAG.search(record.description), record.description
        if re.search(r"<p[\s>]", html):
            checked["paragraphs"][0] += 1
            checked["paragraphs"][1] += "\n\n" in record.description
        # An item with text in it (some postings hold only empty <li></li>).
        if re.search(r"<li[^>]*>\s*[^<\s]", html):
            checked["lists"][0] += 1
            checked["lists"][1] += bool(_ITEM_LINE.search(record.description))
    for shape, (had, kept) in checked.items():
        assert kept == had, f"{shape} lost in {had - kept} of {had} postings"
