"""Remotive (`GET https://remotive.com/api/remote-jobs`): an envelope with `jobs`.

Every job is remote; `candidate_required_location` says where the candidate must live;
the salary is free text; `publication_date` carries no zone and is UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from workers.sources import clean
from workers.sources.base import JobRecord, JobSource, SourceError
from workers.sources.http import PoliteClient


class Remotive(JobSource):
    name = "remotive"
    default_url = "https://remotive.com/api/remote-jobs"

    def fetch(self, client: PoliteClient, since: datetime) -> Iterator[Any]:
        """The API has one page: every job of the last days (delayed by 24 hours)."""
        yield client.get_json(self.base_url)

    def items(self, body: Any) -> list[Any]:
        """The `jobs` list of the envelope."""
        if not isinstance(body, dict) or not isinstance(body.get("jobs"), list):
            raise SourceError("Remotive body is not an object with a `jobs` list")
        return list(body["jobs"])

    @classmethod
    def looks_like(cls, body: Any) -> bool:
        return isinstance(body, dict) and isinstance(body.get("jobs"), list)

    def parse_item(self, item: Any) -> JobRecord:
        """One Remotive job."""
        salary = clean.text(item, "salary", required=False)
        low, high, currency = clean.salary_text(salary)
        return JobRecord(
            source=self.name,
            source_id=clean.identifier(item, "id"),
            title=clean.text(item, "title"),
            company=clean.text(item, "company_name", required=False),
            location=clean.text(item, "candidate_required_location", required=False),
            remote=True,
            salary_min=low,
            salary_max=high,
            salary_currency=currency,
            tags=clean.text_list(item, "tags"),
            category=clean.text(item, "category", required=False) or None,
            description=clean.clean_description(item, "description"),
            url=clean.text(item, "url"),
            posted_at=clean.timestamp(item.get("publication_date"), "publication_date"),
        )
