"""Search, one job, saved jobs and applications: pages over the API's own functions."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import Template

from schema.database import Connection
from schema.queries.applications import applications
from schema.queries.job_listing import job_by_id
from schema.queries.job_marks import job_marks
from schema.queries.saved_jobs import saved_jobs
from server.routes.common import Db, JobId
from server.routes.recommendations import search
from server.schemas import SearchResults
from server.web.auth import Person
from server.web.common import Query, done_message, is_htmx, page
from server.web.lists import NO_MARKS, ListFilters, parse_filters

MAX_QUERY = 500
SEARCH_LIMIT = 20
LIST_LIMIT = 50


async def _search(db: Connection, state: State, query: str, filters: ListFilters) -> SearchResults:
    """`search`, the function behind `GET /api/v1/jobs/search`, in a thread."""
    return await anyio.to_thread.run_sync(
        lambda: search(
            db,
            state,
            query,
            remote=filters.remote,
            location=filters.location,
            min_salary=filters.min_salary,
            posted_since=None,
            limit=SEARCH_LIMIT,
        )
    )


class BrowseController(Controller):
    path = "/"
    include_in_schema = False

    @get("/search", name="search")
    async def search_page(
        self,
        *,
        request: Request[Any, Any, Any],
        db: Db,
        state: State,
        person: Person,
        q: Query = None,
        remote: Query = None,
        location: Query = None,
        min_salary: Query = None,
    ) -> Template:
        """Hybrid search (`search`, as `GET /api/v1/jobs/search`) with the list's filters."""
        query = (q or "").strip()
        filters = parse_filters(remote, location, min_salary)
        problems = list(filters.problems)
        if len(query) > MAX_QUERY:
            problems.append(f"Searches may have up to {MAX_QUERY} characters; yours was cut.")
            query = query[:MAX_QUERY]
        results = await _search(db, state, query, filters) if query else None
        ids = [hit.job.id for hit in results.items] if results else []
        marks = await anyio.to_thread.run_sync(job_marks, db, person.id, ids)
        template = "partials/search_results.html" if is_htmx(request) else "search.html"
        return page(
            template,
            person=person,
            active="search",
            query=query,
            filters=filters,
            problems=problems,
            results=results,
            all_marks=marks,
            no_marks=NO_MARKS,
        )

    @get("/jobs/{job_id:int}", name="job")
    async def job_page(
        self, request: Request[Any, Any, Any], db: Db, person: Person, job_id: JobId
    ) -> Template:
        """One job: its full description and a link to the original posting."""
        job = await anyio.to_thread.run_sync(job_by_id, db, job_id)
        if job is None:
            raise NotFoundException(f"there is no job {job_id}; it may have been removed")
        marks = await anyio.to_thread.run_sync(job_marks, db, person.id, [job_id])
        return page(
            "job.html",
            person=person,
            job=job,
            marks=marks.get(job_id, NO_MARKS),
            notice=done_message(request),
        )

    @get("/saved", name="saved")
    async def saved_page(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        person: Person,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000)] = 0,
    ) -> Template:
        rows = await anyio.to_thread.run_sync(
            lambda: saved_jobs(db, person.id, limit=LIST_LIMIT, offset=offset)
        )
        marks = await anyio.to_thread.run_sync(job_marks, db, person.id, [r.id for r in rows])
        return page(
            "saved.html",
            person=person,
            active="saved",
            rows=rows,
            all_marks=marks,
            no_marks=NO_MARKS,
            notice=done_message(request),
        )

    @get("/applications", name="applications")
    async def applications_page(
        self,
        db: Db,
        person: Person,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000)] = 0,
    ) -> Template:
        rows = await anyio.to_thread.run_sync(
            lambda: applications(db, person.id, limit=LIST_LIMIT, offset=offset)
        )
        return page("applications.html", person=person, active="applications", rows=rows)
