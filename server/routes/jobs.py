"""`/jobs`: the list, search, the caller's recommendations, and one job.

Fixed paths (`/search`, `/recommendations`) are declared before `/{job_id}`, and the id
is typed `int`, so they are never taken for a job id.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Annotated

from litestar import Controller, MediaType, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import ClientException, NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from schema.queries.cvs import active_cv
from schema.queries.job_listing import Cursor, JobFilters, job_by_id, list_jobs
from server.routes.common import (
    MAX_ID,
    CurrentUser,
    Db,
    JobId,
    Limit,
    TaskQueue,
    error_responses,
    with_errors,
)
from server.routes.recommendations import read_recommendations, search
from server.schemas import (
    NO_NUL,
    JobDetail,
    JobPage,
    OtherPosting,
    Queued,
    Recommendations,
    SearchResults,
    job_from_row,
)
from workers.pipelines.runs import TaskName

Text = Annotated[str | None, QueryParameter(max_length=200, pattern=NO_NUL)]
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
Since = Annotated[
    datetime | None,
    QueryParameter(description="jobs posted at or after this ISO 8601 time, from 2000 on"),
]


def since(value: datetime | None) -> datetime | None:
    """`posted_since` in UTC when naive; 400 before 2000 or more than a day ahead (a
    number such as `0` parses as 1970)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not EARLIEST <= value <= datetime.now(UTC) + timedelta(days=1):
        raise ClientException("posted_since must be an ISO 8601 time from 2000 until today")
    return value


def encode_cursor(posted_at: datetime, job_id: int) -> str:
    """An opaque cursor naming the last job of a page."""
    return base64.urlsafe_b64encode(f"{posted_at.isoformat()}|{job_id}".encode()).decode()


def decode_cursor(cursor: str) -> Cursor:
    """The position a cursor names; 400 for anything this API did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        stamp, _, job_id = raw.partition("|")
        posted_at = datetime.fromisoformat(stamp)
        position = Cursor(posted_at=posted_at, id=int(job_id))
    except (ValueError, binascii.Error, UnicodeError):
        raise ClientException("invalid cursor: pass back `next_cursor` unchanged") from None
    if posted_at.tzinfo is None or not 0 < position.id < 2**63:
        raise ClientException("invalid cursor: pass back `next_cursor` unchanged")
    return position


@with_errors(400, 401, 429, 503)
class JobsController(Controller):
    path = "/jobs"
    tags = ("jobs",)

    @get("/", sync_to_thread=True, summary="Jobs, newest first, with filters")
    def list_jobs(
        self,
        *,
        db: Db,
        user: CurrentUser,
        remote: FromQuery[bool | None] = None,
        location: Text = None,
        company: Text = None,
        category: Text = None,
        tag: Text = None,
        min_salary: Annotated[float | None, QueryParameter(ge=0, le=1e9)] = None,
        posted_since: Since = None,
        cursor: Annotated[str | None, QueryParameter(max_length=200, pattern=NO_NUL)] = None,
        limit: Limit = 20,
    ) -> JobPage:
        """Keyset pagination: pass `next_cursor` back as `cursor` for the next page."""
        filters = JobFilters(
            remote, location, company, category, tag, min_salary, since(posted_since)
        )
        after = decode_cursor(cursor) if cursor else None
        rows = list_jobs(db, filters, after=after, limit=limit + 1)
        page = rows[:limit]
        more = len(rows) > limit
        next_cursor = encode_cursor(page[-1].posted_at, page[-1].id) if more else None
        return JobPage(items=[job_from_row(r) for r in page], next_cursor=next_cursor)

    @get("/search", sync_to_thread=True, summary="Semantic search, fused with full text")
    def search(
        self,
        *,
        db: Db,
        state: State,
        user: CurrentUser,
        q: Annotated[str, QueryParameter(min_length=1, max_length=500, pattern=NO_NUL)],
        remote: FromQuery[bool | None] = None,
        location: Text = None,
        min_salary: Annotated[float | None, QueryParameter(ge=0, le=1e9)] = None,
        posted_since: Since = None,
        limit: Limit = 20,
    ) -> SearchResults:
        return search(
            db,
            state,
            q,
            remote=remote,
            location=location,
            min_salary=min_salary,
            posted_since=since(posted_since),
            limit=limit,
        )

    @get(
        "/recommendations",
        sync_to_thread=True,
        summary="The caller's stored top 50",
        responses={
            200: ResponseSpec(Recommendations, description="the envelope and a page"),
            **error_responses(404),
        },
    )
    def recommendations(
        self,
        *,
        db: Db,
        state: State,
        user: CurrentUser,
        remote: FromQuery[bool | None] = None,
        location: Text = None,
        min_salary: Annotated[float | None, QueryParameter(ge=0, le=1e9)] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=50)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=50)] = 50,
        cv_id: Annotated[
            int | None,
            QueryParameter(
                ge=1, le=MAX_ID, description="which named CV's list (default: the active one)"
            ),
        ] = None,
    ) -> Response[bytes]:
        """`status` is `ready`, `generating` (queued now) or `no_cv` (upload one first).
        Each named CV has its own list: `cv_id` picks one (404 when not the caller's).

        On a worker thread, as every read: a database that stops answering holds this
        request, never the event loop (`/health` and other requests go on).
        """
        body, stale = read_recommendations(
            db,
            user.id,
            cv_id=cv_id,
            remote=remote,
            location=location,
            min_salary=min_salary,
            offset=offset,
            limit=limit,
        )
        if stale:
            queue: TaskQueue = state.queue
            queue.generate_for_user(user.id)
        return Response(body, media_type=MediaType.JSON)

    @post(
        "/recommendations/generate",
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=True,
        summary="Recompute the caller's lists now (one per named CV)",
        responses=error_responses(409),
    )
    def generate(self, db: Db, state: State, user: CurrentUser) -> Queued:
        if active_cv(db, user.id) is None:
            raise ClientException(
                "you have no CV yet: upload one with PUT /api/v1/users/me/cv", status_code=409
            )
        queue: TaskQueue = state.queue
        queue.forget(user.id)
        task = queue.tasks.generate_user_recommendations
        outcome = queue.trigger(f"user-{user.id}", task, user.id)
        queued = outcome != "unavailable"
        detail = "queued; poll GET /api/v1/jobs/recommendations" if queued else "queue unavailable"
        return Queued(
            task=TaskName.GENERATE_USER, queued=queued, detail=detail, coalesced=outcome == "joined"
        )

    @get(
        "/{job_id:int}",
        sync_to_thread=True,
        summary="One job with its description",
        responses=error_responses(404),
    )
    def job(self, db: Db, user: CurrentUser, job_id: JobId) -> JobDetail:
        row = job_by_id(db, job_id)
        if row is None:
            raise NotFoundException(f"no job with id {job_id}")
        others = [OtherPosting(**other) for other in row.also_at]
        return JobDetail(**{**row.__dict__, "also_at": others})
