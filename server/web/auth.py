"""Who is signed in to the web app: a server-side session named by an HttpOnly cookie.

Pages take the `person` dependency; without a live session it raises `SignInRequiredError`,
which sends the browser to the sign-in page (saying so when a session had expired).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import anyio.to_thread
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.di import Dependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import SkipValidationMarker
from litestar.response import Redirect
from litestar_htmx import ClientRedirect

from schema.database import Connection
from schema.queries.web_sessions import SessionUser, extend_session, session_user

SESSION_COOKIE = "jobmatch_session"
# Sessions end after this long without a visit; a visit pushes the end back.
SESSION_LIFETIME = timedelta(days=14)
# Pushing the end back is a write: done at most once a day per session.
EXTEND_AFTER = timedelta(days=1)

Person = Annotated[SessionUser, Dependency(kind="named"), SkipValidationMarker()]
# Pages open to everyone (sign-in, sign-up) see who is signed in, if anyone.
Viewer = Annotated[SessionUser | None, Dependency(kind="named"), SkipValidationMarker()]


class SignInRequiredError(Exception):
    """The page needs a signed-in person; `expired` when the cookie named a dead session."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("sign in required")
        self.expired = expired


def session_cookie(request: Request[Any, Any, Any], value: str, *, max_age: int) -> Cookie:
    """The session cookie: HttpOnly, SameSite=Lax, Secure when the request came over TLS."""
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        path="/",
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(request: Request[Any, Any, Any]) -> Cookie:
    return session_cookie(request, "", max_age=0)


def session_id(request: Request[Any, Any, Any]) -> str | None:
    value = request.cookies.get(SESSION_COOKIE)
    return value if value and len(value) <= 100 else None


def lookup_person(db: Connection, sid: str) -> SessionUser | None:
    """The session's person (its end pushed back when a day has passed), or None."""
    person = session_user(db, sid)
    if (
        person is not None
        and person.expires_at - datetime.now(UTC) < SESSION_LIFETIME - EXTEND_AFTER
    ):
        extend_session(db, sid, SESSION_LIFETIME)
    return person


async def provide_person(
    request: Request[Any, Any, Any],
    db: Annotated[Connection, Dependency(kind="named"), SkipValidationMarker()],
) -> SessionUser:
    """The signed-in person; `SignInRequiredError` otherwise.

    The lookup runs on a worker thread: a database that stops answering holds this
    request, never the event loop.
    """
    sid = session_id(request)
    if sid is None:
        raise SignInRequiredError(expired=False)
    person = await anyio.to_thread.run_sync(lookup_person, db, sid)
    if person is None:
        raise SignInRequiredError(expired=True)
    return person


async def provide_optional_person(
    request: Request[Any, Any, Any],
    db: Annotated[Connection, Dependency(kind="named"), SkipValidationMarker()],
) -> SessionUser | None:
    """The signed-in person, or None (pages open to everyone, such as sign-in)."""
    sid = session_id(request)
    if sid is None:
        return None
    return await anyio.to_thread.run_sync(lookup_person, db, sid)


def require_admin_person(person: SessionUser) -> None:
    if not person.is_admin:
        raise PermissionDeniedException("this page is for administrators only")


def on_sign_in_required(request: Request[Any, Any, Any], exc: SignInRequiredError) -> Response[Any]:
    """To the sign-in page, then back to the page the person was on; htmx requests are
    redirected by the browser (a partial or a form's target is no page to return to)."""
    location = "/signin?next=" + quote(_return_to(request), safe="")
    if exc.expired:
        location += "&expired=1"
    response: Response[Any]
    if request.headers.get("hx-request"):
        response = ClientRedirect(location)
    else:
        response = Redirect(location, status_code=303)
    if exc.expired:
        response.set_cookie(clear_session_cookie(request))
    return response


def _return_to(request: Request[Any, Any, Any]) -> str:
    """The page to come back to after signing in: this one for a page, else the page
    that sent the request (htmx says which; a plain form's Referer does)."""
    if request.method == "GET" and not request.headers.get("hx-request"):
        target = request.url.path
        return target + "?" + request.url.query if request.url.query else target
    sender = request.headers.get("hx-current-url") or request.headers.get("referer") or "/"
    parts = urlsplit(sender)
    if parts.netloc and parts.netloc != request.headers.get("host"):
        return "/"
    return (parts.path or "/") + ("?" + parts.query if parts.query else "")
