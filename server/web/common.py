"""What every page shares: the template response, form reading, safe redirects, messages."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from schema.queries.web_sessions import SessionUser

MAX_FIELD_CHARS = 5000
# A page's query-string field: parsed leniently by the page, so any text is accepted.
Query = Annotated[str | None, QueryParameter(max_length=2000)]

# Messages a redirect may ask the next page to show, by code: a link cannot make the
# page say anything else.
DONE = {
    "welcome": "Welcome! Upload your CV to get your recommendations.",
    "signed_out": "You are signed out.",
    "cv": "Your CV is saved. Your recommendations are being generated.",
    "cv_added": "Your new CV is saved. Its own list is being generated.",
    "cv_active": "That CV is now your active one.",
    "cv_renamed": "Renamed.",
    "cv_deleted": "The CV and its list are deleted.",
    "preferences": "Your preferences are saved; your list follows them shortly.",
    "token_revoked": "The token is revoked: it no longer opens the API.",
    "feed_off": "Your feed is off: its address no longer works.",
    "digest_on": "The daily digest is on: new matches come to your e-mail after each day's list.",
    "digest_off": "The daily digest is off.",
    "saved": "Saved.",
    "unsaved": "Removed from your saved jobs.",
    "applied": "Marked as applied.",
    "voted": "Thanks, noted.",
    "hidden": "Hidden: you will not see this job again.",
}


def page(
    name: str,
    *,
    person: SessionUser | None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A full page (or a partial) with what the layout needs."""
    return Template(
        template_name=name,
        context={"person": person, **context},
        status_code=status_code,
    )


def done_message(request: Request[Any, Any, Any]) -> str | None:
    return DONE.get(request.query_params.get("done") or "")


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return bool(request.headers.get("hx-request"))


async def form_fields(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The text fields of a posted form, each cut to `MAX_FIELD_CHARS` (files left out)."""
    form = await request.form()
    fields: dict[str, str] = {}
    for key, value in form.items():
        if not isinstance(value, UploadFile):
            fields[key] = str(value)[:MAX_FIELD_CHARS]
    return fields


def local_path(target: str | None, fallback: str = "/") -> str:
    """`target` when it is a path on this site, else `fallback` (no open redirects)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def redirect(target: str, done: str | None = None) -> Redirect:
    """303 to a local path, optionally asking it to show the `done` message."""
    if done:
        target += ("&" if "?" in target else "?") + f"done={done}"
    return Redirect(target, status_code=303)
