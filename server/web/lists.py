"""The recommendation list as pages read it: the API's read, decoded for templates.

`read_recommendations` is the function behind `GET /api/v1/jobs/recommendations`; the
page decodes the same JSON into `PageEnvelope` and adds what the person did with each
job (saved, applied, voted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio.to_thread
import msgspec

from schema.database import Connection
from schema.queries.job_marks import JobMarks, job_marks
from server.routes.common import TaskQueue
from server.routes.recommendations import read_recommendations
from server.schemas import Job
from server.web.reasons import ReasonParts, reason_parts

PAGE_SIZE = 10
MAX_PAGE = 5  # the stored list holds 50 jobs
NO_MARKS = JobMarks(job_id=0, saved=False, applied=False, vote=None)


class PageItem(msgspec.Struct):
    """One recommendation; the reason's parts are read when the API carries them."""

    rank: int
    match_score: float
    match_reason: str
    job: Job
    shared_terms: list[str] | None = None
    cv_quote: str | None = None
    job_quote: str | None = None
    fit: str | None = None


class PageEnvelope(msgspec.Struct):
    status: str
    detail: str
    model: str | None
    total: int
    items: list[PageItem]
    cv_id: int | None = None


@dataclass(frozen=True)
class ListFilters:
    """The page's filters, parsed from the query string (`problems` says what was not)."""

    remote: bool | None = None
    location: str | None = None
    min_salary: float | None = None
    page: int = 1
    problems: list[str] = field(default_factory=list)
    cv: int | None = None  # which named CV's list (None: the active one's)

    def query(self, page: int | None = None) -> str:
        """The query string of these filters (on `page`)."""
        from urllib.parse import urlencode

        params = {
            "remote": {True: "yes", False: "no", None: ""}[self.remote],
            "location": self.location or "",
            "min_salary": "" if self.min_salary is None else f"{self.min_salary:g}",
            "page": str(page or self.page),
            "cv": "" if self.cv is None else str(self.cv),
        }
        return urlencode({k: v for k, v in params.items() if v and v != "1"})


def parse_filters(
    remote: str | None,
    location: str | None,
    min_salary: str | None,
    page: str | None = None,
    cv: str | None = None,
) -> ListFilters:
    """Lenient parsing: a bad value is dropped and named in `problems`, never a 400."""
    problems: list[str] = []
    salary: float | None = None
    if min_salary and min_salary.strip():
        try:
            salary = float(min_salary.replace(",", "").strip())
            if not 0 <= salary <= 1e9:
                raise ValueError
        except ValueError:
            salary = None
            problems.append("The minimum salary must be a number, like 50000.")
    number = int(page) if page and page.isdigit() else 1
    place = (location or "").strip()[:200] or None
    flag = {"yes": True, "no": False}.get((remote or "").strip().lower())
    shown = int(cv) if cv and cv.isdigit() and 0 < int(cv) < 2**63 else None
    return ListFilters(flag, place, salary, max(1, min(MAX_PAGE, number)), problems, shown)


def cv_of_page(path: str | None) -> int | None:
    """The named CV whose list a page (a local path such as `/?cv=3`) showed: the list a
    vote cast from it steers. None: the active CV's."""
    from urllib.parse import parse_qs, urlsplit

    values = parse_qs(urlsplit(path or "").query).get("cv", [])
    return parse_filters(None, None, None, cv=values[0]).cv if values else None


@dataclass(frozen=True)
class ListView:
    """What the list partial renders."""

    status: str
    detail: str
    model: str | None
    items: list[tuple[PageItem, ReasonParts, JobMarks]]
    filters: ListFilters
    has_next: bool
    cv_id: int | None = None  # the named CV whose list this is


async def load_list(
    db: Connection, queue: TaskQueue, user_id: int, filters: ListFilters
) -> ListView:
    """One page of the person's list (of the named CV `filters.cv`, default the active
    one; 404 when it is not theirs), as the API reads it, with their marks.

    Its round trips run on one worker thread: a database that stops answering holds
    this request, never the event loop.
    """
    return await anyio.to_thread.run_sync(read_list_view, db, queue, user_id, filters)


def read_list_view(
    db: Connection, queue: TaskQueue, user_id: int, filters: ListFilters
) -> ListView:
    """`load_list`'s work, blocking: the list read, a generation queued when the list
    is stale, and the marks."""
    body, stale = read_recommendations(
        db,
        user_id,
        cv_id=filters.cv,
        remote=filters.remote,
        location=filters.location,
        min_salary=filters.min_salary,
        offset=(filters.page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE + 1,  # one more than shown says whether a next page exists
    )
    if stale:
        queue.generate_for_user(user_id)
    envelope = msgspec.json.decode(body, type=PageEnvelope)
    shown = envelope.items[:PAGE_SIZE]
    marks = job_marks(db, user_id, [item.job.id for item in shown])
    return ListView(
        status=envelope.status,
        detail=envelope.detail,
        model=envelope.model,
        items=[(i, reason_parts(i), marks.get(i.job.id, NO_MARKS)) for i in shown],
        filters=filters,
        has_next=len(envelope.items) > PAGE_SIZE,
        cv_id=envelope.cv_id,
    )
