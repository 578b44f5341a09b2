""" "Recommended for you" (`/`) and what a person does with a job: save, apply, vote.

The actions call the same queries as the API's routes (`save_job`, `apply`,
`record_feedback`). With htmx they answer a fragment (the job's action bar, or nothing
for a job voted down, which leaves the list at once); without it, a redirect back.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from schema.database import Connection
from schema.queries.applications import AlreadyAppliedError, apply
from schema.queries.job_marks import job_marks
from schema.queries.named_cvs import named_cvs
from schema.queries.saved_jobs import save_job, unsave_job
from server.routes.common import Db, JobId
from server.routes.feedback import cast_vote
from server.web.auth import Person
from server.web.common import (
    DONE,
    Query,
    done_message,
    form_fields,
    is_htmx,
    local_path,
    page,
    redirect,
)
from server.web.lists import NO_MARKS, cv_of_page, load_list, parse_filters

MAX_REASON = 2000


class RecommendedController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", name="home")
    async def home(
        self,
        *,
        request: Request[Any, Any, Any],
        db: Db,
        state: State,
        person: Person,
        remote: Query = None,
        location: Query = None,
        min_salary: Query = None,
        page_number: Annotated[str | None, QueryParameter(name="page")] = None,
        cv: Query = None,
    ) -> Template:
        """The person's list (of the CV `cv`, default the active one) with its filters and
        a choice of their CVs; the list itself is the partial below."""
        filters = parse_filters(remote, location, min_salary, page_number, cv)
        view = await load_list(db, state.queue, person.id, filters)
        cvs = await anyio.to_thread.run_sync(named_cvs, db, person.id)
        template = "partials/results.html" if is_htmx(request) else "recommended.html"
        return page(
            template,
            person=person,
            view=view,
            cvs=cvs,
            active="home",
            notice=done_message(request),
        )

    @post("/jobs/{job_id:int}/save")
    async def save(
        self, request: Request[Any, Any, Any], db: Db, person: Person, job_id: JobId
    ) -> Template | Redirect:
        fields = await form_fields(request)
        undo = fields.get("undo") == "1"
        if undo:
            await anyio.to_thread.run_sync(unsave_job, db, person.id, job_id)
        elif await anyio.to_thread.run_sync(save_job, db, person.id, job_id) is None:
            raise NotFoundException(f"there is no job {job_id}")
        return await _answer(
            request,
            db=db,
            user_id=person.id,
            job_id=job_id,
            fields=fields,
            done="unsaved" if undo else "saved",
        )

    @post("/jobs/{job_id:int}/apply")
    async def mark_applied(
        self, request: Request[Any, Any, Any], db: Db, person: Person, job_id: JobId
    ) -> Template | Redirect:
        fields = await form_fields(request)
        try:
            row = await anyio.to_thread.run_sync(apply, db, person.id, job_id, "")
        except AlreadyAppliedError:
            row = None  # already marked: the page shows it as applied either way
        else:
            if row is None:
                raise NotFoundException(f"there is no job {job_id}")
        return await _answer(
            request, db=db, user_id=person.id, job_id=job_id, fields=fields, done="applied"
        )

    @post("/jobs/{job_id:int}/vote")
    async def vote(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        state: State,
        person: Person,
        job_id: JobId,
    ) -> Template | Redirect:
        fields = await form_fields(request)
        vote = fields.get("vote", "")
        reason = fields.get("reason", "").strip()
        if vote not in {"up", "down"} or len(reason) > MAX_REASON:
            raise ClientException(
                f"choose thumbs up or down; a reason may have up to {MAX_REASON} characters"
            )
        # The vote steers the list of the CV whose page it was cast from.
        shown_cv = cv_of_page(local_path(fields.get("next")))
        row = await anyio.to_thread.run_sync(
            partial(
                cast_vote,
                db,
                state.queue,
                person.id,
                job_id,
                vote=vote,
                reason=reason,
                cv_id=shown_cv,
            )
        )
        if row is None:
            raise NotFoundException(f"there is no job {job_id}")
        if vote == "down" and fields.get("in_list") == "1" and is_htmx(request):
            # The card leaves the list (an empty swap); the message goes to `#flash`.
            response = page("partials/hidden.html", person=person, message=DONE["hidden"])
            response.headers["HX-Retarget"] = f"#job-{job_id}"
            response.headers["HX-Reswap"] = "outerHTML"
            return response
        done = "hidden" if vote == "down" else "voted"
        return await _answer(
            request, db=db, user_id=person.id, job_id=job_id, fields=fields, done=done
        )


async def _answer(
    request: Request[Any, Any, Any],
    *,
    db: Connection,
    user_id: int,
    job_id: int,
    fields: dict[str, str],
    done: str,
) -> Template | Redirect:
    """The job's refreshed action bar for htmx; a redirect back otherwise."""
    if not is_htmx(request):
        return redirect(local_path(fields.get("next")), done)
    marks = (await anyio.to_thread.run_sync(job_marks, db, user_id, [job_id])).get(job_id, NO_MARKS)
    return page(
        "partials/actions.html",
        person=None,
        job_id=job_id,
        marks=marks,
        next=local_path(fields.get("next")),
        in_list=fields.get("in_list") == "1",
        said=done,
    )
