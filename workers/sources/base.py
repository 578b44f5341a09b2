"""What every source shares: the normalised `JobRecord`, the errors, and `JobSource`.

A source fetches response bodies over HTTP and parses each into records. A bad record is
skipped with its reason (`BadRecordError`); a body that is not what the API sends fails the
whole source (`SourceError`), so nothing half of it is stored.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from schema.queries.jobs import JobRecord, JobRecordError
from workers.sources.http import PoliteClient, SourceError

__all__ = [
    "BadRecordError",
    "JobRecord",
    "JobRecordError",
    "JobSource",
    "ParseResult",
    "SourceError",
]


class BadRecordError(ValueError):
    """One record cannot be used; its message is the reason counted in the summary."""


@dataclass
class ParseResult:
    """The records parsed from one or more bodies, and the skipped ones by reason."""

    records: list[JobRecord] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def extend(self, other: ParseResult) -> None:
        """Add another result's records and skip counts to this one."""
        self.records.extend(other.records)
        self.skipped.update(other.skipped)


class JobSource(ABC):
    """One job API. `base_url` overrides the endpoint (a mirror, or a test's replay server)."""

    name: ClassVar[str]
    default_url: ClassVar[str]

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or self.default_url).rstrip("/")

    @abstractmethod
    def fetch(self, client: PoliteClient, since: datetime) -> Iterator[Any]:
        """Yield the decoded JSON bodies to parse, newest first where the API pages."""

    @abstractmethod
    def items(self, body: Any) -> list[Any]:
        """The job items of one body; raises `SourceError` when the body has the wrong shape."""

    @abstractmethod
    def parse_item(self, item: Any) -> JobRecord:
        """One normalised record; raises `BadRecordError` (or `JobRecordError`) with a reason."""

    @classmethod
    @abstractmethod
    def looks_like(cls, body: Any) -> bool:
        """Whether a saved body has this API's shape (for `jobmatch import`)."""

    def parse(self, body: Any) -> ParseResult:
        """Parse every item of `body`, skipping bad ones with their reason."""
        return self.parse_items(self.items(body))

    def parse_chunks(self, body: Any, size: int) -> Iterator[ParseResult]:
        """`parse(body)` in slices of `size` items, each parsed only when asked for.

        Raises `SourceError` at the first request when the body has the wrong shape.
        """
        items = self.items(body)
        for start in range(0, len(items), size):
            yield self.parse_items(items[start : start + size])

    def parse_items(self, items: list[Any]) -> ParseResult:
        """Parse `items`, skipping bad ones with their reason."""
        result = ParseResult()
        for item in items:
            try:
                if not isinstance(item, dict):
                    raise BadRecordError("item is not a JSON object")
                result.records.append(self.parse_item(item))
            except (BadRecordError, JobRecordError) as error:
                result.skipped[str(error)] += 1
        return result
