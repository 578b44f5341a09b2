"""A person turns the feed and the digest on and off (the API and the web page call these),
and anyone holding a digest's link turns that digest off."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from schema.database import Connection
from schema.queries import notifications as q

FEED_PATH = "/api/v1/feeds"


def feed_url(base_url: str, token: str) -> str:
    """The secret address of a feed (`base_url`: the app's address, no trailing slash)."""
    return f"{base_url}{FEED_PATH}/{quote(token, safe='')}"


def turn_on_feed(conn: Connection, user_id: int) -> str:
    """A new secret token for the person's feed; any earlier address stops working.
    The token is shown to the person once: only its hash is kept."""
    token = secrets.token_urlsafe(32)
    q.set_feed_token(conn, user_id, token)
    return token


def turn_off_feed(conn: Connection, user_id: int) -> None:
    q.clear_feed_token(conn, user_id)


def turn_on_digest(conn: Connection, user_id: int) -> None:
    """Opt in to the daily digest, sent to the account's e-mail."""
    q.enable_digest(conn, user_id, secrets.token_urlsafe(32))


def turn_off_digest(conn: Connection, user_id: int) -> None:
    q.disable_digest(conn, user_id)


def unsubscribe(conn: Connection, token: str) -> bool:
    """Turn off the digest whose link holds `token`; False when no digest has it."""
    if not token or len(token) > 100:
        return False
    return q.unsubscribe(conn, token)
