"""Sign up, sign in and sign out: email and password, a server-side session cookie."""

from __future__ import annotations

import math
import re
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import TooManyRequestsException
from litestar.response import Redirect, Template

from schema.database import Connection
from schema.queries.accounts import account_by_email, create_account, set_password
from schema.queries.web_sessions import close_session, open_session
from server.routes.common import Db
from server.throttle import Limit, Throttle, account_of, ip_of
from server.web.auth import (
    SESSION_LIFETIME,
    Viewer,
    clear_session_cookie,
    session_cookie,
    session_id,
)
from server.web.common import done_message, form_fields, local_path, page, redirect
from server.web.passwords import hash_password, password_problem, verify_password

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WRONG = "That email and password do not match an account. Check both and try again."


def _signed_in(request: Request[Any, Any, Any], db: Connection, user_id: int, to: str) -> Redirect:
    sid = open_session(db, user_id, SESSION_LIFETIME)
    response = Redirect(local_path(to), status_code=303)
    response.set_cookie(session_cookie(request, sid, max_age=int(SESSION_LIFETIME.total_seconds())))
    return response


def _too_many(
    request: Request[Any, Any, Any],
    db: Connection,
    throttle: Throttle,
    limits: tuple[Limit, Limit],
    email: str,
) -> tuple[str, int] | None:
    """Count this attempt per address and per account under `limits` (shared by every
    API process, `server.throttle`); past either, what to tell the person and the
    seconds to wait. Every attempt counts, as the API's do: guesses made in parallel
    cannot slip past a count kept only of failures."""
    by_ip, by_account = limits
    attempts = ((by_ip, ip_of(request), "from your network"), (by_account, email, "for this email"))
    for limit, subject, whose in attempts:
        try:
            throttle.hit(db, limit, subject if limit is by_ip else account_of(subject))
        except TooManyRequestsException as refused:
            seconds = int((refused.headers or {}).get("Retry-After", "60"))
            return (
                f"Too many attempts {whose}. Try again in {math.ceil(seconds / 60)} min.",
                seconds,
            )
    return None


def _sign_in(
    request: Request[Any, Any, Any], db: Connection, throttle: Throttle, fields: dict[str, str]
) -> Redirect | Template:
    """Check the password (slow by design, so in a thread); a session on success."""
    email = fields.get("email", "").strip()
    limits = (throttle.limits.sign_in_per_ip, throttle.limits.sign_in_per_account)
    refused = _too_many(request, db, throttle, limits, email)
    if refused is not None:
        return _form("signin.html", fields, refused[0], retry_s=refused[1])
    account = account_by_email(db, email) if email else None
    ok, rehash = verify_password(
        account.password_hash if account else None, fields.get("password", "")
    )
    if not ok or account is None:
        return _form("signin.html", fields, WRONG, 401)
    if rehash:
        set_password(db, account.id, hash_password(fields.get("password", "")))
    return _signed_in(request, db, account.id, fields.get("next", "/"))


def _sign_up(
    request: Request[Any, Any, Any], db: Connection, throttle: Throttle, fields: dict[str, str]
) -> Redirect | Template:
    email = fields.get("email", "").strip()
    password = fields.get("password", "")
    problem = password_problem(password)
    if not EMAIL.match(email) or len(email) > 254:
        return _form("signup.html", fields, "Enter a valid email address, like you@example.com.")
    if problem is not None:
        return _form("signup.html", fields, problem[0].upper() + problem[1:] + ".")
    if password != fields.get("confirm", ""):
        return _form("signup.html", fields, "The two passwords differ. Type the same one twice.")
    limits = (throttle.limits.sign_up_per_ip, throttle.limits.sign_up_per_account)
    refused = _too_many(request, db, throttle, limits, email)
    if refused is not None:
        return _form("signup.html", fields, refused[0], retry_s=refused[1])
    account = create_account(db, email, fields.get("name", "")[:200], hash_password(password))
    if account is None:
        error = "An account with this email already exists. Sign in instead."
        return _form("signup.html", fields, error, 409)
    return _signed_in(request, db, account.id, "/cv?done=welcome")


def _form(
    name: str, fields: dict[str, str], error: str, status_code: int = 400, retry_s: int = 0
) -> Template:
    """The form again, with what was typed (never the password) and what went wrong;
    429 with `Retry-After` when `retry_s` is given."""
    kept = {key: value for key, value in fields.items() if key not in {"password", "confirm"}}
    if retry_s:
        status_code = 429
    template = page(name, person=None, status_code=status_code, error=error, form=kept)
    if retry_s:
        template.headers["Retry-After"] = str(retry_s)
    return template


class AccountController(Controller):
    path = "/"
    include_in_schema = False

    @get("/signup", name="signup")
    async def signup_page(self, viewer: Viewer) -> Template | Redirect:
        if viewer is not None:
            return redirect("/")
        return page("signup.html", person=None, form={})

    @post("/signup")
    async def signup(
        self, request: Request[Any, Any, Any], db: Db, state: State
    ) -> Redirect | Template:
        fields = await form_fields(request)
        return await anyio.to_thread.run_sync(_sign_up, request, db, state.throttle, fields)

    @get("/signin", name="signin")
    async def signin_page(
        self, request: Request[Any, Any, Any], viewer: Viewer
    ) -> Template | Redirect:
        next_page = local_path(request.query_params.get("next"))
        if viewer is not None:
            return redirect(next_page)
        expired = request.query_params.get("expired") == "1"
        notice = "Your session has expired. Sign in again to continue." if expired else None
        notice = notice or done_message(request)
        return page("signin.html", person=None, form={"next": next_page}, notice=notice)

    @post("/signin")
    async def signin(
        self, request: Request[Any, Any, Any], db: Db, state: State
    ) -> Redirect | Template:
        fields = await form_fields(request)
        return await anyio.to_thread.run_sync(_sign_in, request, db, state.throttle, fields)

    @post("/signout")
    async def signout(self, request: Request[Any, Any, Any], db: Db) -> Redirect:
        sid = session_id(request)
        if sid is not None:
            await anyio.to_thread.run_sync(close_session, db, sid)
        response = redirect("/signin", "signed_out")
        response.set_cookie(clear_session_cookie(request))
        return response
