"""The Muse (`GET https://www.themuse.com/api/public/jobs?page=N`): pages of 20 `results`.

A job lists several `locations`; "Flexible / Remote" marks a remote one. `contents` is HTML.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from workers.sources import clean
from workers.sources.base import BadRecordError, JobRecord, JobSource, SourceError
from workers.sources.http import PoliteClient


class TheMuse(JobSource):
    name = "themuse"
    default_url = "https://www.themuse.com/api/public/jobs"

    def __init__(self, base_url: str | None = None, *, max_pages: int = 5) -> None:
        super().__init__(base_url)
        self.max_pages = max_pages

    def fetch(self, client: PoliteClient, since: datetime) -> Iterator[Any]:
        """Newest-first pages until one reaches back before `since` or the last page."""
        for page in range(1, self.max_pages + 1):
            body = client.get_json(self.base_url, {"page": page, "descending": "true"})
            yield body
            items = self.items(body)
            page_count = body.get("page_count") if isinstance(body, dict) else None
            if not items or (isinstance(page_count, int) and page >= page_count):
                return
            try:
                oldest = clean.timestamp(items[-1].get("publication_date"), "publication_date")
            except (BadRecordError, AttributeError):
                continue
            if oldest < since:
                return

    def items(self, body: Any) -> list[Any]:
        """The `results` of a page (a bare list, as some saved files hold, also works)."""
        if isinstance(body, list):
            return body
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise SourceError("The Muse body is not an object with a `results` list")
        return list(body["results"])

    @classmethod
    def looks_like(cls, body: Any) -> bool:
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            first = body["results"][0] if body["results"] else None
        return isinstance(first, dict) and "refs" in first and "contents" in first

    def parse_item(self, item: Any) -> JobRecord:
        """One Muse job."""
        locations = _names(item, "locations")
        categories = _names(item, "categories")
        company = item.get("company")
        if not isinstance(company, dict):
            raise BadRecordError("company is missing or not an object")
        refs = item.get("refs")
        if not isinstance(refs, dict):
            raise BadRecordError("refs is missing or not an object")
        return JobRecord(
            source=self.name,
            source_id=clean.identifier(item, "id"),
            title=clean.text(item, "name"),
            company=clean.text(company, "name", required=False),
            location="; ".join(locations),
            remote=any("remote" in place.lower() for place in locations),
            salary_min=None,
            salary_max=None,
            salary_currency=None,
            tags=tuple(_names(item, "levels")),
            category=categories[0] if categories else None,
            description=clean.clean_description(item, "contents"),
            url=clean.text(refs, "landing_page"),
            posted_at=clean.timestamp(item.get("publication_date"), "publication_date"),
        )


def _names(item: dict[str, Any], key: str) -> list[str]:
    """The `name` of each object in a list field such as `locations`."""
    value = item.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadRecordError(f"{key} is not a list of objects")
    return [clean.text(v, "name") for v in value]
