"""Notifications: a person turns their Atom feed and e-mail digest on and off; anyone
holding a digest's unsubscribe link turns that digest off without signing in."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from schema.queries.notifications import notification_state
from server.routes.common import Db
from server.routes.notifications import public_base
from server.web.auth import Person, Viewer
from server.web.common import done_message, page, redirect
from workers.pipelines.notifications import (
    feed_url,
    turn_off_digest,
    turn_off_feed,
    turn_on_digest,
    turn_on_feed,
    unsubscribe,
)

# Any text: a token that is too long or unknown is simply not found (a 404 page).
Token = Annotated[str, PathParameter(max_length=200, description="an unsubscribe token")]


class NotificationsController(Controller):
    path = "/notifications"
    include_in_schema = False

    @get("/", name="notifications")
    async def notifications_page(
        self, request: Request[Any, Any, Any], db: Db, state: State, person: Person
    ) -> Template:
        return await self._page(db, state, person, notice=done_message(request))

    @post("/feed")
    async def feed_on(
        self, request: Request[Any, Any, Any], db: Db, state: State, person: Person
    ) -> Template:
        """A new secret address, shown once on the page that answers this form."""
        token = await anyio.to_thread.run_sync(turn_on_feed, db, person.id)
        url = feed_url(public_base(state.settings, request), token)
        return await self._page(db, state, person, new_feed_url=url, status_code=201)

    @post("/feed/off")
    async def feed_off(self, db: Db, person: Person) -> Redirect:
        await anyio.to_thread.run_sync(turn_off_feed, db, person.id)
        return redirect("/notifications", "feed_off")

    @post("/digest")
    async def digest_on(self, db: Db, person: Person) -> Redirect:
        await anyio.to_thread.run_sync(turn_on_digest, db, person.id)
        return redirect("/notifications", "digest_on")

    @post("/digest/off")
    async def digest_off(self, db: Db, person: Person) -> Redirect:
        await anyio.to_thread.run_sync(turn_off_digest, db, person.id)
        return redirect("/notifications", "digest_off")

    async def _page(
        self, db: Db, state: State, person: Person, status_code: int = 200, **context: Any
    ) -> Template:
        settings = await anyio.to_thread.run_sync(notification_state, db, person.id)
        return page(
            "notifications.html",
            person=person,
            active="notifications",
            settings=settings,
            mail_configured=state.settings.smtp is not None,
            status_code=status_code,
            **context,
        )


class UnsubscribeController(Controller):
    """The link in every digest. Opening it asks to confirm (mail scanners open links
    too); the confirming POST, or a mail program's one-click POST (RFC 8058), turns the
    digest off. The token in the address is the only credential, so the POST needs no
    session and no CSRF token (exempt in `server.web.setup`)."""

    path = "/unsubscribe"
    include_in_schema = False

    @get("/{token:str}")
    async def confirm(self, db: Db, viewer: Viewer, token: Token) -> Template:
        return page("unsubscribe.html", person=viewer, token=token, done=False)

    @post("/{token:str}", status_code=200)
    async def unsubscribe(self, db: Db, viewer: Viewer, token: Token) -> Template:
        if not await anyio.to_thread.run_sync(unsubscribe, db, token):
            return page("unsubscribe.html", person=viewer, unknown=True, status_code=404)
        return page("unsubscribe.html", person=viewer, done=True)
