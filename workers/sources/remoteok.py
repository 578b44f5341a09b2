"""RemoteOK (`GET https://remoteok.com/api`): a list whose first element is a legal notice.

Every job is remote; salaries are yearly USD with 0 for "not stated"; text is often
double-encoded UTF-8, which `clean` repairs. Each description ends with a per-requester
anti-spam sentence that means nothing to a recommender, so it is cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from workers.sources import clean
from workers.sources.base import JobRecord, JobSource, SourceError
from workers.sources.http import PoliteClient

_ANTI_SPAM = re.compile(
    r"\s*Please mention the word \*\*\w+\*\* and tag \S+ when applying.*\Z", re.DOTALL
)


class RemoteOK(JobSource):
    name = "remoteok"
    default_url = "https://remoteok.com/api"

    def fetch(self, client: PoliteClient, since: datetime) -> Iterator[Any]:
        """The API has one page: every current job."""
        yield client.get_json(self.base_url)

    def items(self, body: Any) -> list[Any]:
        """The jobs after the legal notice."""
        if not isinstance(body, list):
            raise SourceError("RemoteOK body is not a JSON list")
        return [item for item in body if not (isinstance(item, dict) and "legal" in item)]

    @classmethod
    def looks_like(cls, body: Any) -> bool:
        return (
            isinstance(body, list)
            and bool(body)
            and isinstance(body[0], dict)
            and ("legal" in body[0] or "position" in body[0])
        )

    def parse_item(self, item: Any) -> JobRecord:
        """One RemoteOK job."""
        description = clean.clean_description(item, "description")
        low, high = clean.salary_range(
            clean.amount(item.get("salary_min"), "salary_min"),
            clean.amount(item.get("salary_max"), "salary_max"),
        )
        posted = item.get("epoch") if item.get("epoch") is not None else item.get("date")
        return JobRecord(
            source=self.name,
            source_id=clean.identifier(item, "id"),
            title=clean.text(item, "position"),
            company=clean.text(item, "company", required=False),
            location=clean.text(item, "location", required=False),
            remote=True,
            salary_min=low,
            salary_max=high,
            salary_currency="USD" if low is not None else None,
            tags=clean.text_list(item, "tags"),
            category=None,
            description=_ANTI_SPAM.sub("", description).strip() or description,
            url=clean.text(item, "url", required=False) or clean.text(item, "apply_url"),
            posted_at=clean.timestamp(posted, "epoch"),
        )
