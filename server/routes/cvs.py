"""Named CVs: `/users/me/cvs` (up to five per person, one active, each with its own list).

The single-CV routes (`PUT /users/me/cv`, `GET /jobs/recommendations` without `cv_id`)
act on the active one, so a client that knows of one CV keeps working.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import Body, PathParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from schema.database import Connection
from schema.queries import named_cvs as n
from schema.queries.cvs import current_cv, replace_active_cv
from server.routes.common import MAX_ID, CurrentUser, Db, TaskQueue, error_responses, with_errors
from server.routes.users import (
    CV_BODY_LIMIT,
    cv_out,
    decode_cv_body,
    pending,
    read_cv,
    read_uploaded_cv,
)
from server.schemas import CVRename, NamedCVOut, NamedCVs, NamedCVText, NamedCVUploaded
from workers.pipelines.cv_files import CvFileError, clean_cv_text
from workers.pipelines.cv_sandbox import CvReader

CvIdPath = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="a named CV's id")]
LIMIT_REACHED = (
    f"you already have {n.MAX_NAMED_CVS} CVs, the most one person may keep: "
    "delete one (DELETE /api/v1/users/me/cvs/{cv_id}) before adding another"
)
NEW_CV_DOC = (
    "JSON `{name, text}` or multipart/form-data with `name` and the file in `file` "
    "(.txt, .md, .pdf or .docx, at most 5 MB). The first CV becomes the active one. "
    f"409 on a sixth CV (at most {n.MAX_NAMED_CVS}) or a name already used."
)


def not_yours(cv_id: int) -> NotFoundException:
    return NotFoundException(f"you have no CV with id {cv_id}")


def named_cv_out(db: Connection, named: n.NamedCv) -> NamedCVOut:
    cv = current_cv(db, named.id)
    assert cv is not None  # a named CV is made with its first version, which is kept
    return NamedCVOut(
        id=named.id,
        name=named.name,
        active=named.is_active,
        created_at=named.created_at,
        current=cv_out(cv),
    )


def add_cv(
    db: Connection, queue: TaskQueue, user_id: int, name: str, text: str, *, filename: str | None
) -> NamedCVUploaded:
    """A new named CV, then its processing queued (every door's addition); 409 on a
    sixth or a name the person already uses."""
    try:
        named_cv_id = n.add_named_cv(db, user_id, name.strip(), text, filename)
    except n.NamedCvLimitError:
        raise ClientException(LIMIT_REACHED, status_code=409) from None
    except n.NamedCvNameTakenError:
        raise ClientException(
            f"you already have a CV named {name.strip()!r}", status_code=409
        ) from None
    return _processing(db, queue, user_id, named_cv_id)


def upload_version(
    db: Connection,
    queue: TaskQueue,
    user_id: int,
    named_cv_id: int,
    text: str,
    *,
    filename: str | None,
) -> NamedCVUploaded:
    """A new version of one of the person's named CVs, then its processing queued."""
    if n.named_cv(db, user_id, named_cv_id) is None:
        raise not_yours(named_cv_id)
    replace_active_cv(db, user_id, text, filename=filename, named_cv_id=named_cv_id)
    return _processing(db, queue, user_id, named_cv_id)


def rename_cv(db: Connection, user_id: int, named_cv_id: int, name: str) -> NamedCVOut:
    """Rename one of the person's named CVs; 404 when not theirs, 409 on a used name."""
    try:
        renamed = n.rename_named_cv(db, user_id, named_cv_id, name.strip())
    except n.NamedCvNameTakenError:
        raise ClientException(
            f"you already have a CV named {name.strip()!r}", status_code=409
        ) from None
    named = n.named_cv(db, user_id, named_cv_id) if renamed else None
    if named is None:
        raise not_yours(named_cv_id)
    return named_cv_out(db, named)


def activate_cv(db: Connection, user_id: int, named_cv_id: int) -> NamedCVOut:
    """Make one of the person's named CVs the active one; 404 when not theirs."""
    named = None
    if n.activate_named_cv(db, user_id, named_cv_id):
        named = n.named_cv(db, user_id, named_cv_id)
    if named is None:
        raise not_yours(named_cv_id)
    return named_cv_out(db, named)


def delete_cv(db: Connection, user_id: int, named_cv_id: int) -> None:
    """Delete one of the person's named CVs, its versions and its list; 404 when not theirs."""
    if not n.delete_named_cv(db, user_id, named_cv_id):
        raise not_yours(named_cv_id)


def _processing(
    db: Connection, queue: TaskQueue, user_id: int, named_cv_id: int
) -> NamedCVUploaded:
    """Queue the new version's embedding and the person's lists; what to tell them."""
    named = n.named_cv(db, user_id, named_cv_id)
    cv = current_cv(db, named_cv_id)
    assert named is not None  # just written by this request
    assert cv is not None
    queue.forget(user_id)
    queued = queue.submit(queue.tasks.process_new_cv, cv.id)
    return NamedCVUploaded(
        named_cv=named_cv_out(db, named), recommendations=pending(db, user_id, cv, queued)
    )


async def _read_new_cv(
    request: Request[Any, Any, Any], reader: CvReader
) -> tuple[str, str, str | None]:
    """The name, text and file name of a new named CV, from JSON or multipart; 4xx else."""
    content_type, _ = request.content_type
    if content_type == "multipart/form-data":
        form = await request.form()
        name = _valid_name(form.get("name"))
        text, filename = await read_uploaded_cv(form, reader)
        return name, text, filename
    if content_type != "application/json":
        raise CvFileError(
            "unsupported",
            'send the CV as JSON {"name": ..., "text": ...} or as multipart/form-data'
            " with `name` and `file`",
        )
    body = await decode_cv_body(request, NamedCVText)
    return body.name, clean_cv_text(body.text), body.filename


def _valid_name(value: object) -> str:
    """A multipart `name` checked by the same rules as the JSON body's; 400 else."""
    try:
        return msgspec.convert({"name": value}, CVRename).name
    except msgspec.ValidationError as error:
        raise ClientException(f"invalid CV name: {error}") from None


@with_errors(400, 401, 429, 503)
class CvsController(Controller):
    path = "/users/me/cvs"
    tags = ("users",)

    @get("/", sync_to_thread=True, summary="The caller's named CVs")
    def list_cvs(self, db: Db, user: CurrentUser) -> NamedCVs:
        items = [named_cv_out(db, named) for named in n.named_cvs(db, user.id)]
        return NamedCVs(items=items, limit=n.MAX_NAMED_CVS)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        request_max_body_size=CV_BODY_LIMIT,
        responses=error_responses(409, 413, 415, 422),
        summary="Add a named CV (JSON text or a file)",
        description=NEW_CV_DOC,
    )
    async def add_cv(
        self, request: Request[Any, Any, Any], state: State, db: Db, user: CurrentUser
    ) -> NamedCVUploaded:
        name, text, filename = await _read_new_cv(request, state.cv_reader)
        return await anyio.to_thread.run_sync(
            partial(add_cv, db, state.queue, user.id, name, text, filename=filename)
        )

    @get(
        "/{cv_id:int}",
        sync_to_thread=True,
        summary="One of the caller's named CVs",
        responses=error_responses(404),
    )
    def get_cv(self, db: Db, user: CurrentUser, cv_id: CvIdPath) -> NamedCVOut:
        named = n.named_cv(db, user.id, cv_id)
        if named is None:
            raise not_yours(cv_id)
        return named_cv_out(db, named)

    @put(
        "/{cv_id:int}",
        request_max_body_size=CV_BODY_LIMIT,
        responses=error_responses(404, 413, 415, 422),
        summary="Upload a new version of a named CV (JSON text or a file)",
        description="The body is as for `PUT /users/me/cv`; the named CV keeps its name.",
    )
    async def upload_version(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: Db,
        user: CurrentUser,
        cv_id: CvIdPath,
    ) -> NamedCVUploaded:
        text, filename = await read_cv(request, state.cv_reader)
        return await anyio.to_thread.run_sync(
            partial(upload_version, db, state.queue, user.id, cv_id, text, filename=filename)
        )

    @patch(
        "/{cv_id:int}",
        sync_to_thread=True,
        summary="Rename a named CV",
        responses=error_responses(404, 409),
    )
    def rename(
        self, db: Db, user: CurrentUser, cv_id: CvIdPath, data: Annotated[CVRename, Body()]
    ) -> NamedCVOut:
        return rename_cv(db, user.id, cv_id, data.name)

    @post(
        "/{cv_id:int}/activate",
        status_code=200,
        sync_to_thread=True,
        summary="Make a named CV the active one",
        responses=error_responses(404),
    )
    def activate(self, db: Db, user: CurrentUser, cv_id: CvIdPath) -> NamedCVOut:
        """The active CV is the one the single-CV routes act on; every CV keeps its list."""
        return activate_cv(db, user.id, cv_id)

    @delete(
        "/{cv_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        sync_to_thread=True,
        summary="Delete a named CV and its list",
        responses=error_responses(404),
    )
    def remove(self, db: Db, user: CurrentUser, cv_id: CvIdPath) -> None:
        """When it was the active one, the oldest remaining CV becomes active; deleting
        the last leaves the caller with no CV (upload one to start again)."""
        delete_cv(db, user.id, cv_id)
