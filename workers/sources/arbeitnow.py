"""Arbeitnow (`GET https://www.arbeitnow.com/api/job-board-api?page=N`): pages of 100.

Pages are newest first; paging stops at the window's start, at the last page, or after
`max_pages`. `created_at` is epoch seconds; most texts are German.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from workers.sources import clean
from workers.sources.base import JobRecord, JobSource, SourceError
from workers.sources.http import PoliteClient


class Arbeitnow(JobSource):
    name = "arbeitnow"
    default_url = "https://www.arbeitnow.com/api/job-board-api"

    def __init__(self, base_url: str | None = None, *, max_pages: int = 5) -> None:
        super().__init__(base_url)
        self.max_pages = max_pages

    def fetch(self, client: PoliteClient, since: datetime) -> Iterator[Any]:
        """Pages until one reaches back before `since` or none is left."""
        for page in range(1, self.max_pages + 1):
            body = client.get_json(self.base_url, {"page": page})
            yield body
            items = self.items(body)
            links = body.get("links")
            if not items or not isinstance(links, dict) or not links.get("next"):
                return
            oldest = items[-1].get("created_at") if isinstance(items[-1], dict) else None
            if isinstance(oldest, int) and datetime.fromtimestamp(oldest, UTC) < since:
                return

    def items(self, body: Any) -> list[Any]:
        """The `data` list of one page."""
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise SourceError("Arbeitnow body is not an object with a `data` list")
        return list(body["data"])

    @classmethod
    def looks_like(cls, body: Any) -> bool:
        return isinstance(body, dict) and isinstance(body.get("data"), list) and "meta" in body

    def parse_item(self, item: Any) -> JobRecord:
        """One Arbeitnow job."""
        return JobRecord(
            source=self.name,
            source_id=clean.text(item, "slug"),
            title=clean.text(item, "title"),
            company=clean.text(item, "company_name", required=False),
            location=clean.text(item, "location", required=False),
            remote=clean.flag(item, "remote"),
            salary_min=None,
            salary_max=None,
            salary_currency=None,
            tags=clean.text_list(item, "tags"),
            category=None,
            description=clean.clean_description(item, "description"),
            url=clean.text(item, "url"),
            posted_at=clean.timestamp(item.get("created_at"), "created_at"),
        )
