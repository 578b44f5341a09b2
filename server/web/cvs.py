"""My CVs: add up to five named CVs, rename, delete, choose the active one.

Each form calls the function behind the matching `/api/v1/users/me/cvs` route (`add_cv`,
`rename_cv`, `activate_cv`, `delete_cv`); a refusal (a sixth CV, a name in use, an
unreadable file) shows the CV page again with what went wrong.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State, UploadFile
from litestar.exceptions import ClientException
from litestar.response import Redirect, Template

from schema.database import Connection
from schema.queries.cvs import active_cv
from schema.queries.named_cvs import MAX_NAMED_CVS, named_cvs
from server.routes.common import Db
from server.routes.cvs import CvIdPath, activate_cv, add_cv, delete_cv, rename_cv
from server.routes.users import CV_BODY_LIMIT
from server.schemas import CVRename
from server.web.auth import Person
from server.web.common import form_fields, page, redirect
from workers.pipelines.cv_files import MAX_UPLOAD_BYTES, CvFileError, clean_cv_text
from workers.pipelines.cv_sandbox import CvReader

CV_STATUS = {"too_large": 413, "unsupported": 415, "empty": 422, "too_complex": 422}


def cv_page_context(db: Connection, user_id: int) -> dict[str, Any]:
    """What the CV page shows: the active CV's text and every named CV."""
    return {
        "cv": active_cv(db, user_id),
        "cvs": named_cvs(db, user_id),
        "max_cvs": MAX_NAMED_CVS,
    }


async def read_cv_form(form: Any, state: State) -> tuple[str, str | None]:
    """A CV form's text and file name: the uploaded file read in the sandbox (a child
    process: hostile files are cut off), or the pasted text. Raises `CvFileError`."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        reader: CvReader = state.cv_reader
        text = await anyio.to_thread.run_sync(reader.read, upload.filename, data)
        return text, upload.filename[:255]
    return clean_cv_text(str(form.get("text") or "")), None


async def refused(db: Connection, person: Person, message: str, status_code: int) -> Template:
    """The CV page again, saying what went wrong."""
    context = await anyio.to_thread.run_sync(cv_page_context, db, person.id)
    return page(
        "cv.html", person=person, active="cv", error=message, status_code=status_code, **context
    )


def sentence(detail: str) -> str:
    """An error's detail as a sentence: capitalised, one full stop."""
    return detail[0].upper() + detail[1:] + ("" if detail.endswith(".") else ".")


def _name(value: str) -> str:
    """The form's name checked as the API checks it; 400 with the rule otherwise."""
    try:
        return msgspec.convert({"name": value.strip()}, CVRename).name
    except msgspec.ValidationError:
        raise ClientException(
            "a CV's name has 1 to 40 characters, without tabs or line breaks"
        ) from None


class CvsPageController(Controller):
    path = "/cvs"
    include_in_schema = False

    @post("/", request_max_body_size=CV_BODY_LIMIT)
    async def add(
        self, request: Request[Any, Any, Any], db: Db, state: State, person: Person
    ) -> Template | Redirect:
        """A new named CV from a file or pasted text."""
        form = await request.form()
        try:
            name = _name(str(form.get("name") or ""))
            text, filename = await read_cv_form(form, state)
            await anyio.to_thread.run_sync(
                partial(add_cv, db, state.queue, person.id, name, text, filename=filename)
            )
        except CvFileError as error:
            return await refused(db, person, sentence(error.detail), CV_STATUS[error.reason])
        except ClientException as error:
            return await refused(db, person, sentence(error.detail), error.status_code)
        return redirect("/cv", "cv_added")

    @post("/{cv_id:int}/activate")
    async def activate(self, db: Db, person: Person, cv_id: CvIdPath) -> Redirect:
        await anyio.to_thread.run_sync(activate_cv, db, person.id, cv_id)
        return redirect("/cv", "cv_active")

    @post("/{cv_id:int}/rename")
    async def rename(
        self, request: Request[Any, Any, Any], db: Db, person: Person, cv_id: CvIdPath
    ) -> Template | Redirect:
        fields = await form_fields(request)
        try:
            name = _name(fields.get("name", ""))
            await anyio.to_thread.run_sync(rename_cv, db, person.id, cv_id, name)
        except ClientException as error:
            if error.status_code == 404:
                raise
            return await refused(db, person, sentence(error.detail), error.status_code)
        return redirect("/cv", "cv_renamed")

    @post("/{cv_id:int}/delete")
    async def delete(self, db: Db, person: Person, cv_id: CvIdPath) -> Redirect:
        await anyio.to_thread.run_sync(delete_cv, db, person.id, cv_id)
        return redirect("/cv", "cv_deleted")
