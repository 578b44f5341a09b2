"""New matches reach people: the caller turns their Atom feed and e-mail digest on and off,
and any feed reader reads the feed at its secret address."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter
from litestar.status_codes import HTTP_201_CREATED

from schema.queries.notifications import notification_state
from schema.queries.users import User
from server.routes.common import CurrentUser, Db, error_responses, with_errors
from server.schemas import FeedTurnedOn, Notifications
from server.throttle import Throttle, ip_of
from workers.pipelines.feed import MAX_FEED_TOKEN, feed_for_token
from workers.pipelines.notifications import (
    feed_url,
    turn_off_digest,
    turn_off_feed,
    turn_on_digest,
    turn_on_feed,
)
from workers.settings import Settings

FeedToken = Annotated[
    str,
    PathParameter(min_length=1, max_length=MAX_FEED_TOKEN, description="the feed's secret token"),
]
ATOM_TYPE = "application/atom+xml; charset=utf-8"
NO_FEED = "no feed at this address: it was never issued, was replaced or was turned off"
FEED_ON = (
    "keep this address secret: anyone holding it reads your matches. It is shown only "
    "once; turn the feed on again for a new one (the old address then stops working)"
)


def public_base(settings: Settings, request: Request[Any, Any, Any]) -> str:
    """The app's address for links: `JOBMATCH_PUBLIC_URL`, else the one asked for."""
    return settings.public_url or str(request.base_url).rstrip("/")


def notifications_of(db: Db, settings: Settings, user: User) -> Notifications:
    state = notification_state(db, user.id)
    return Notifications(
        feed=state.feed_enabled_at is not None,
        feed_enabled_at=state.feed_enabled_at,
        digest=state.digest_enabled,
        digest_email=user.email,
        last_digest_at=state.last_digest_at,
        mail_configured=settings.smtp is not None,
    )


class FeedsController(Controller):
    path = "/feeds"
    tags = ("feeds",)

    @get(
        "/{token:str}",
        sync_to_thread=True,
        summary="A person's Atom feed of new matches (no bearer token: the address is secret)",
        responses={
            200: ResponseSpec(
                str, media_type="application/atom+xml", description="an Atom 1.0 feed"
            ),
            **error_responses(400, 404, 429, 503),
        },
    )
    def feed(
        self, request: Request[Any, Any, Any], db: Db, state: State, token: FeedToken
    ) -> Response[bytes]:
        """The person's top 20 matches, each with its score and reason. An unknown, replaced
        or turned-off address is a 404, whichever it is; guessing is throttled (429)."""
        throttle: Throttle = state.throttle
        limit, ip = throttle.limits.bad_token_per_ip, ip_of(request)
        throttle.check(limit, ip)
        body = feed_for_token(db, token, public_base(state.settings, request))
        if body is None:
            throttle.hit(db, limit, ip)
            raise NotFoundException(NO_FEED)
        return Response(
            body, media_type=ATOM_TYPE, headers={"Cache-Control": "private, max-age=300"}
        )


@with_errors(401, 429, 503)
class NotificationsController(Controller):
    path = "/users/me/notifications"
    tags = ("users",)

    @get("/", sync_to_thread=True, summary="The caller's feed and digest: on or off")
    def settings(self, db: Db, state: State, user: CurrentUser) -> Notifications:
        return notifications_of(db, state.settings, user)

    @post(
        "/feed",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Turn the feed on (or get a new address): its secret URL",
    )
    def feed_on(
        self, request: Request[Any, Any, Any], db: Db, state: State, user: CurrentUser
    ) -> FeedTurnedOn:
        """A new secret address, shown only here; an earlier one stops working at once."""
        token = turn_on_feed(db, user.id)
        return FeedTurnedOn(
            url=feed_url(public_base(state.settings, request), token), detail=FEED_ON
        )

    @delete("/feed", sync_to_thread=True, summary="Turn the feed off: its address stops working")
    def feed_off(self, db: Db, user: CurrentUser) -> None:
        turn_off_feed(db, user.id)

    @post(
        "/digest",
        status_code=200,
        sync_to_thread=True,
        summary="Turn the daily e-mail digest on (sent to the account's e-mail)",
    )
    def digest_on(self, db: Db, state: State, user: CurrentUser) -> Notifications:
        """Each day after the lists are made, the new top matches since the last digest
        (nothing when there is nothing new). `mail_configured` false: this install sends
        no mail until its operator sets JOBMATCH_SMTP_URL."""
        turn_on_digest(db, user.id)
        return notifications_of(db, state.settings, user)

    @delete("/digest", sync_to_thread=True, summary="Turn the daily e-mail digest off")
    def digest_off(self, db: Db, user: CurrentUser) -> None:
        turn_off_digest(db, user.id)
