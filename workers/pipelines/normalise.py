"""Files of already-normalised jobs (JSONL or CSV) to `JobRecord`s, and records to rows.

One line or row is one job with JobRecord's field names. `tags` is a JSON list (JSONL) or
texts separated by `|` (CSV); `remote` is true/false/1/0/yes/no; `posted_at` is ISO 8601
(no zone means UTC) or epoch seconds. A bad line is skipped with its reason.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from workers.sources import clean
from workers.sources.base import BadRecordError, JobRecord, JobRecordError, ParseResult

REQUIRED_COLUMNS = ("source_id", "title", "description", "posted_at")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, header); nothing of it is stored."""


def record_from_mapping(row: Mapping[str, Any], default_source: str | None) -> JobRecord:
    """One normalised job from a JSON object or CSV row; raises `BadRecordError`."""
    item = dict(row)
    if not item.get("source") and default_source:
        item["source"] = default_source
    low, high = clean.salary_range(
        clean.amount(item.get("salary_min"), "salary_min"),
        clean.amount(item.get("salary_max"), "salary_max"),
    )
    return JobRecord(
        source=clean.text(item, "source"),
        source_id=clean.identifier(item, "source_id"),
        title=clean.text(item, "title"),
        company=clean.text(item, "company", required=False),
        location=clean.text(item, "location", required=False),
        remote=_boolean(item.get("remote")),
        salary_min=low,
        salary_max=high,
        salary_currency=clean.text(item, "salary_currency", required=False).upper() or None,
        tags=_tags(item),
        category=clean.text(item, "category", required=False) or None,
        description=clean.clean_description(item, "description"),
        url=clean.text(item, "url", required=False),
        posted_at=clean.timestamp(_number_or_text(item.get("posted_at")), "posted_at"),
    )


def record_to_mapping(record: JobRecord) -> dict[str, object]:
    """A record as a JSON-ready object, the inverse of `record_from_mapping`."""
    return {
        "source": record.source,
        "source_id": record.source_id,
        "title": record.title,
        "company": record.company,
        "location": record.location,
        "remote": record.remote,
        "salary_min": None if record.salary_min is None else str(record.salary_min),
        "salary_max": None if record.salary_max is None else str(record.salary_max),
        "salary_currency": record.salary_currency,
        "tags": list(record.tags),
        "category": record.category,
        "description": record.description,
        "url": record.url,
        "posted_at": record.posted_at.isoformat(),
    }


def parse_jsonl(data: bytes, default_source: str | None) -> ParseResult:
    """Every valid line of a JSON Lines file; blank lines are ignored."""
    result = ParseResult()
    for raw in data.splitlines():
        if not raw.strip():
            continue
        try:
            row = json.loads(raw.decode("utf-8", errors="surrogateescape"))
            if not isinstance(row, dict):
                raise BadRecordError("line is not a JSON object")
            result.records.append(record_from_mapping(row, default_source))
        except json.JSONDecodeError:
            result.skipped["line is not valid JSON"] += 1
        except (BadRecordError, JobRecordError) as error:
            result.skipped[str(error)] += 1
    return result


def parse_csv(data: bytes, default_source: str | None) -> ParseResult:
    """Every valid row of a CSV file whose header names JobRecord's fields."""
    text = data.decode("utf-8-sig", errors="surrogateescape")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFileError(f"the CSV header lacks column(s) {', '.join(missing)}")
    result = ParseResult()
    for row in reader:
        try:
            if None in row:
                raise BadRecordError("row has more cells than the header")
            result.records.append(record_from_mapping(row, default_source))
        except (BadRecordError, JobRecordError) as error:
            result.skipped[str(error)] += 1
    return result


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or isinstance(value, str):
        lowered = (value or "").strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
    raise BadRecordError("remote is not true/false")


def _tags(item: dict[str, Any]) -> tuple[str, ...]:
    value = item.get("tags")
    if isinstance(value, str):
        item = {"tags": value.split("|")}
    return clean.text_list(item, "tags")


def _number_or_text(value: Any) -> Any:
    """CSV cells are text: "1773619203" is epoch seconds."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value
