"""Errors on web pages: said in the page, in words, with the status code kept.

The API's errors stay `{status_code, detail}` JSON; `create_app`'s handlers ask
`wants_html` and hand web requests here. An htmx request gets the message in the page's
status region instead of a whole page.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Template

API_PATHS = ("/api/", "/schema")

# What a person reads for each refusal; the detail is added where it says more.
MESSAGES = {
    400: "That request could not be understood.",
    401: "Please sign in.",
    403: "You are not allowed to do that.",
    404: "That page does not exist, or is not yours.",
    405: "That page cannot be used this way.",
    413: "The upload is too large: CVs may be at most 5 MB.",
    415: "That file type is not accepted.",
    422: "The value was refused.",
    429: "Too many requests; wait a moment and try again.",
    500: "Something went wrong on our side. It has been logged.",
    503: "The database is unavailable right now. Try again shortly.",
}
CSRF_DETAIL = "CSRF token verification failed"
CSRF_MESSAGE = (
    "This form has expired or did not come from this site. Reload the page and try again."
)


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """Everything but the API and its docs is a page for a person."""
    return not request.url.path.startswith(API_PATHS)


def html_error(request: Request[Any, Any, Any], status_code: int, detail: str) -> Response[Any]:
    """The error page (or, for htmx, the message in `#flash`) for a refusal."""
    message = _message(status_code, detail)
    if request.headers.get("hx-request"):
        response: Response[Any] = Template(
            template_name="partials/flash.html",
            context={"error": message},
            status_code=status_code,
        )
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return Template(
        template_name="error.html",
        context={"status_code": status_code, "message": message, "person": None},
        status_code=status_code,
    )


def _message(status_code: int, detail: str) -> str:
    if detail == CSRF_DETAIL:
        return CSRF_MESSAGE
    general = MESSAGES.get(status_code, "That did not work.")
    # Details of 4xx refusals are written for people; a 5xx's is never shown.
    if status_code >= 500 or not detail or detail.lower() in general.lower():
        return general
    if status_code == 413:
        return general
    return f"{general} {detail[0].upper()}{detail[1:]}".rstrip(".") + "."
