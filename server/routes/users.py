"""Accounts, the caller's CV and preferences: `/users` and `/users/me/...`."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio.to_thread
import msgspec
from litestar import Controller, Request, get, post, put
from litestar.datastructures import State, UploadFile
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import Body
from litestar.status_codes import HTTP_201_CREATED

from schema.database import Connection
from schema.queries.cvs import CV, active_cv, replace_active_cv
from schema.queries.list_pages import list_state
from schema.queries.users import (
    Preferences,
    create_user,
    issue_token,
    new_token,
    preferences,
    save_preferences,
)
from server.routes.common import CurrentUser, Db, TaskQueue, error_responses, with_errors
from server.schemas import (
    CVOut,
    CVText,
    CVUploaded,
    Me,
    NewUser,
    PreferencesBody,
    RecommendationsPending,
    Registered,
)
from server.throttle import Throttle, account_of, ip_of
from workers.pipelines.cv_files import MAX_UPLOAD_BYTES, CvFileError, clean_cv_text
from workers.pipelines.cv_sandbox import CvReader

# Multipart framing around a 5 MB file; the file's own size is checked exactly later.
CV_BODY_LIMIT = MAX_UPLOAD_BYTES + 64 * 1024
REGISTERED = (
    "keep this token: it is shown only once. If this e-mail already had an account, "
    "the token does not open it; use that account's own token"
)
CV_DOC = (
    "Send JSON `{text}` or multipart/form-data with the file in the field `file` "
    "(.txt, .md, .pdf or .docx, at most 5 MB). The new CV replaces the active named CV's "
    'text atomically (the first upload makes a named CV, "main"); a refused upload '
    "leaves the previous text current. Several named CVs: /users/me/cvs."
)


@with_errors(400, 401, 429, 503)
class UsersController(Controller):
    path = "/users"
    tags = ("users",)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Register",
        responses=error_responses(400, 429, 503),
    )
    def register(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        state: State,
        data: Annotated[NewUser, Body()],
    ) -> Registered:
        """Create an account and its first bearer token (shown only here).

        The reply is the same whether or not the e-mail already had an account, so
        sign-up does not tell who is registered: for a taken e-mail the token is a fresh
        random one that opens nothing (that account keeps its own tokens). Throttled per
        address and per e-mail (429).
        """
        throttle: Throttle = state.throttle
        throttle.hit(db, throttle.limits.sign_up_per_ip, ip_of(request))
        throttle.hit(db, throttle.limits.sign_up_per_account, account_of(data.email))
        with db.transaction():
            user = create_user(db, data.email, data.name)
            token = issue_token(db, user.id) if user is not None else new_token()
        return Registered(token=token, detail=REGISTERED)

    @get("/me", summary="The caller's account")
    async def me(self, user: CurrentUser) -> Me:
        return Me(id=user.id, email=user.email, name=user.name, created_at=user.created_at)

    @get(
        "/me/cv",
        sync_to_thread=True,
        summary="The caller's active CV",
        responses=error_responses(404),
    )
    def get_cv(self, db: Db, user: CurrentUser) -> CVOut:
        cv = active_cv(db, user.id)
        if cv is None:
            raise NotFoundException("you have no CV yet: upload one with PUT /api/v1/users/me/cv")
        return cv_out(cv)

    @put(
        "/me/cv",
        request_max_body_size=CV_BODY_LIMIT,
        responses=error_responses(413, 415, 422),
        summary="Upload the CV (JSON text or a file)",
        description=CV_DOC,
    )
    async def put_cv(
        self, request: Request[Any, Any, Any], state: State, db: Db, user: CurrentUser
    ) -> CVUploaded:
        text, filename = await read_cv(request, state.cv_reader)
        return await anyio.to_thread.run_sync(
            partial(store_cv, db, state.queue, user.id, text, filename)
        )

    @get("/me/preferences", sync_to_thread=True, summary="The caller's preferences")
    def get_preferences(self, db: Db, user: CurrentUser) -> PreferencesBody:
        return prefs_out(preferences(db, user.id))

    @put("/me/preferences", sync_to_thread=True, summary="Replace the caller's preferences")
    def put_preferences(
        self, db: Db, state: State, user: CurrentUser, data: Annotated[PreferencesBody, Body()]
    ) -> PreferencesBody:
        """Replace the preferences; a caller with a CV gets their list regenerated."""
        return prefs_out(replace_preferences(db, state.queue, user.id, data))


CvBody = TypeVar("CvBody", bound=msgspec.Struct)


async def read_cv(request: Request[Any, Any, Any], reader: CvReader) -> tuple[str, str | None]:
    """The CV's text and file name from a JSON or multipart body; 4xx for anything else.
    A file is read by `reader` in a child process, so a hostile one cannot stall the API."""
    content_type, _ = request.content_type
    if content_type == "multipart/form-data":
        return await read_uploaded_cv(await request.form(), reader)
    if content_type != "application/json":
        raise CvFileError(
            "unsupported",
            'send the CV as JSON {"text": ...} or as multipart/form-data with a `file`',
        )
    body = await decode_cv_body(request, CVText)
    return clean_cv_text(body.text), body.filename


async def read_uploaded_cv(form: Any, reader: CvReader) -> tuple[str, str | None]:
    """The text and file name of a multipart form's `file`, read by `reader` (a child
    process); 400 when the field holds no file."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ClientException("send the CV file in the multipart field `file`")
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    text = await anyio.to_thread.run_sync(reader.read, upload.filename, data)
    return text, upload.filename or None


async def decode_cv_body(request: Request[Any, Any, Any], body_type: type[CvBody]) -> CvBody:
    """A JSON CV body as `body_type`; 400 saying what is wrong otherwise."""
    try:
        return msgspec.json.decode(await request.body(), type=body_type)
    except msgspec.ValidationError as error:
        raise ClientException(f"invalid CV body: {error}") from None
    except msgspec.DecodeError:
        raise ClientException("the body is not valid JSON") from None


def store_cv(
    db: Connection, queue: TaskQueue, user_id: int, text: str, filename: str | None
) -> CVUploaded:
    """Make `text` the new version of the user's active named CV (their first, "main",
    when they have none) and queue its processing (every door's upload)."""
    cv = replace_active_cv(db, user_id, text, filename=filename)
    queue.forget(user_id)
    # In Huey's immediate mode this runs the embedding and generation right here.
    queued = queue.submit(queue.tasks.process_new_cv, cv.id)
    return CVUploaded(
        cv=cv_out(cv), recommendations=pending(db, user_id, cv, queued), named_cv_id=cv.named_cv_id
    )


def replace_preferences(
    db: Connection, queue: TaskQueue, user_id: int, data: PreferencesBody
) -> Preferences:
    """Store the preferences (lists trimmed and deduplicated); a user with a CV gets their
    list regenerated soon, not at the next nightly run."""
    prefs = Preferences(
        locations=_dedupe(data.locations),
        remote_only=data.remote_only,
        min_salary=Decimal(str(data.min_salary)) if data.min_salary is not None else None,
        excluded_companies=_dedupe(data.excluded_companies),
        keywords=_dedupe(data.keywords),
    )
    save_preferences(db, user_id, prefs)
    if active_cv(db, user_id) is not None:
        queue.forget(user_id)
        queue.generate_for_user(user_id)
    return prefs


def pending(db: Connection, user_id: int, cv: CV, queued: bool) -> RecommendationsPending:
    """Where the list of the CV's named CV stands after an upload."""
    state = list_state(db, user_id, cv_id=cv.named_cv_id)
    if state.generated_at is not None and state.generated_at >= cv.created_at:
        return RecommendationsPending("ready", "your recommendations are ready")
    if queued:
        return RecommendationsPending(
            "generating", "your CV is being embedded; recommendations follow within a minute"
        )
    return RecommendationsPending(
        "generating", "your CV is saved; recommendations follow at the next scheduled run"
    )


def cv_out(cv: CV) -> CVOut:
    return CVOut(
        id=cv.id,
        filename=cv.filename,
        characters=len(cv.body),
        created_at=cv.created_at,
        text=cv.body,
    )


def prefs_out(prefs: Preferences) -> PreferencesBody:
    return PreferencesBody(
        locations=list(prefs.locations),
        remote_only=prefs.remote_only,
        min_salary=float(prefs.min_salary) if prefs.min_salary is not None else None,
        excluded_companies=list(prefs.excluded_companies),
        keywords=list(prefs.keywords),
    )


def _dedupe(values: list[str]) -> list[str]:
    """Trimmed, without blanks or repeats, in the order given."""
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))
