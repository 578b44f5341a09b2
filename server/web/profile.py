"""My CV (upload by file or drag and drop, or pasted text: it replaces the active named
CV's text; adding, renaming and choosing named CVs: `server/web/cvs.py`) and my
preferences.

An upload goes through the same reading rules (`CvReader`, in a child process) and the same storing
function (`store_cv`) as `PUT /api/v1/users/me/cv`; preferences through
`replace_preferences`, as `PUT /api/v1/users/me/preferences`.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from schema.queries.users import preferences
from server.routes.common import Db
from server.routes.users import CV_BODY_LIMIT, prefs_out, replace_preferences, store_cv
from server.schemas import PreferencesBody
from server.web.auth import Person
from server.web.common import done_message, form_fields, page, redirect
from server.web.cvs import CV_STATUS, cv_page_context, read_cv_form, refused, sentence
from workers.pipelines.cv_files import CvFileError


def _terms(value: str) -> list[str]:
    """A comma-separated field as a list (at most 50 terms of 200 characters)."""
    return [term.strip()[:200] for term in value.split(",") if term.strip()][:50]


class ProfileController(Controller):
    path = "/"
    include_in_schema = False

    @get("/cv", name="cv")
    async def cv_page(self, request: Request[Any, Any, Any], db: Db, person: Person) -> Template:
        context = await anyio.to_thread.run_sync(cv_page_context, db, person.id)
        return page("cv.html", person=person, active="cv", notice=done_message(request), **context)

    @post("/cv", request_max_body_size=CV_BODY_LIMIT)
    async def upload(
        self, request: Request[Any, Any, Any], db: Db, state: State, person: Person
    ) -> Template | Redirect:
        """Store the file (or pasted text) as the active CV; a refusal keeps the old one."""
        form = await request.form()
        try:
            text, filename = await read_cv_form(form, state)
        except CvFileError as error:
            return await refused(db, person, sentence(error.detail), CV_STATUS[error.reason])
        await anyio.to_thread.run_sync(store_cv, db, state.queue, person.id, text, filename)
        return redirect("/", "cv")

    @get("/preferences", name="preferences")
    async def preferences_page(
        self, request: Request[Any, Any, Any], db: Db, person: Person
    ) -> Template:
        prefs = await anyio.to_thread.run_sync(preferences, db, person.id)
        return page(
            "preferences.html",
            person=person,
            active="preferences",
            prefs=prefs_out(prefs),
            notice=done_message(request),
        )

    @post("/preferences")
    async def save_preferences(
        self, request: Request[Any, Any, Any], db: Db, state: State, person: Person
    ) -> Template | Redirect:
        fields = await form_fields(request)
        salary = fields.get("min_salary", "").replace(",", "").strip()
        try:
            body = msgspec.convert(
                {
                    "locations": _terms(fields.get("locations", "")),
                    "remote_only": fields.get("remote_only") == "on",
                    "min_salary": float(salary) if salary else None,
                    "excluded_companies": _terms(fields.get("excluded_companies", "")),
                    "keywords": _terms(fields.get("keywords", "")),
                },
                PreferencesBody,
            )
        except (ValueError, msgspec.ValidationError):
            return page(
                "preferences.html",
                person=person,
                active="preferences",
                prefs=fields,
                error="The minimum salary must be a number between 0 and 1,000,000,000.",
                status_code=400,
            )
        await anyio.to_thread.run_sync(replace_preferences, db, state.queue, person.id, body)
        return redirect("/preferences", "preferences")
