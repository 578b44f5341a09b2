"""The web app for people: server-rendered pages at `/`, htmx for partial updates.

A fourth door over the same use cases as the API, the CLI and the worker: pages call the
functions the API's routes call and render the result with Jinja templates.
"""

from __future__ import annotations

from litestar import Router
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar_htmx import HTMXRequest

from server.web.accounts import AccountController
from server.web.admin import AdminPageController
from server.web.auth import (
    SignInRequiredError,
    on_sign_in_required,
    provide_optional_person,
    provide_person,
)
from server.web.browse import BrowseController
from server.web.cvs import CvsPageController
from server.web.notifications import NotificationsController, UnsubscribeController
from server.web.profile import ProfileController
from server.web.recommended import RecommendedController
from server.web.tokens import TokensController

# Pages load nothing but this site's files, run no inline script and cannot be framed:
# a slip in escaping still could not run a script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CSP),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="Cache-Control", value="no-store"),
]


def web_router() -> Router:
    """Every page, with the signed-in person injected as `person` (or `viewer`)."""
    return Router(
        path="/",
        route_handlers=[
            AccountController,
            RecommendedController,
            BrowseController,
            ProfileController,
            CvsPageController,
            TokensController,
            NotificationsController,
            UnsubscribeController,
            AdminPageController,
        ],
        dependencies={
            "person": Provide(provide_person),
            "viewer": Provide(provide_optional_person),
        },
        exception_handlers={SignInRequiredError: on_sign_in_required},
        request_class=HTMXRequest,
        response_headers=HEADERS,
        include_in_schema=False,
    )
