"""Adzuna (`GET https://api.adzuna.com/v1/api/jobs/{country}/search/{page}`): needs keys.

Without `ADZUNA_APP_ID` and `ADZUNA_APP_KEY` the source is skipped by the pipeline. The
API cuts descriptions to about 500 characters; salaries may be Adzuna's own prediction
(`salary_is_predicted`), kept because they are still the best figure there is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from workers.sources import clean
from workers.sources.base import BadRecordError, JobRecord, JobSource, SourceError
from workers.sources.http import PoliteClient

_CURRENCY = {"gb": "GBP", "us": "USD", "de": "EUR", "fr": "EUR", "nl": "EUR", "ca": "CAD"}
_RATING = re.compile(r"\s+-\s+Glassdoor\b.*$")  # "Acme, Inc - Glassdoor ✪ 4.6"
_PAGE_SIZE = 50


class Adzuna(JobSource):
    name = "adzuna"
    default_url = "https://api.adzuna.com/v1/api/jobs"

    def __init__(
        self,
        app_id: str,
        app_key: str,
        base_url: str | None = None,
        *,
        country: str = "gb",
        max_pages: int = 3,
    ) -> None:
        super().__init__(base_url)
        self._credentials = {"app_id": app_id, "app_key": app_key}
        self.country = country.lower()
        self.max_pages = max_pages

    def fetch(self, client: PoliteClient, since: datetime) -> Iterator[Any]:
        """Newest-first pages of the window until a short page or `max_pages`."""
        days = max(1, (datetime.now(since.tzinfo) - since).days + 1)
        for page in range(1, self.max_pages + 1):
            body = client.get_json(
                f"{self.base_url}/{self.country}/search/{page}",
                {
                    **self._credentials,
                    "results_per_page": _PAGE_SIZE,
                    "max_days_old": days,
                    "sort_by": "date",
                },
            )
            yield body
            if len(self.items(body)) < _PAGE_SIZE:
                return

    def items(self, body: Any) -> list[Any]:
        """The `results` list of one page."""
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise SourceError("Adzuna body is not an object with a `results` list")
        return list(body["results"])

    @classmethod
    def looks_like(cls, body: Any) -> bool:
        return isinstance(body, dict) and str(body.get("__CLASS__", "")).startswith("Adzuna")

    def parse_item(self, item: Any) -> JobRecord:
        """One Adzuna result."""
        low, high = clean.salary_range(
            clean.amount(item.get("salary_min"), "salary_min"),
            clean.amount(item.get("salary_max"), "salary_max"),
        )
        title = clean.text(item, "title")
        location = clean.text(_nested(item, "location"), "display_name", required=False)
        company = clean.text(_nested(item, "company"), "display_name", required=False)
        return JobRecord(
            source=self.name,
            source_id=clean.identifier(item, "id"),
            title=title,
            company=_RATING.sub("", company),
            location=location,
            remote="remote" in f"{title} {location}".lower(),
            salary_min=low,
            salary_max=high,
            salary_currency=_CURRENCY.get(self.country) if low is not None else None,
            tags=(),
            category=clean.text(_nested(item, "category"), "label", required=False) or None,
            description=clean.clean_description(item, "description"),
            url=clean.text(item, "redirect_url"),
            posted_at=clean.timestamp(item.get("created"), "created"),
        )


def _nested(item: dict[str, Any], key: str) -> dict[str, Any]:
    value = item.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRecordError(f"{key} is not an object")
    return value
