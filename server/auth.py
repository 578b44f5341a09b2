"""Bearer tokens: one per user (stored hashed) for `/users/me` and `/jobs`, one admin token.

Every refusal is a 401 with a message saying what to send; a missing admin token in the
settings disables `/admin` (403) rather than leaving it open.
"""

from __future__ import annotations

import hmac
import threading
import time
from typing import Annotated, Any

import anyio.to_thread
from litestar.connection import ASGIConnection, Request
from litestar.datastructures import State
from litestar.di import Dependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import SkipValidationMarker

from schema.database import Connection
from schema.queries.users import User, user_by_token
from workers.settings import Settings

MAX_TOKEN_CHARS = 200


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The token of an `Authorization: Bearer <token>` header; 401 when absent or malformed."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException(
            "missing bearer token: send the header `Authorization: Bearer <token>`"
        )
    if len(token) > MAX_TOKEN_CHARS:
        raise NotAuthorizedException("invalid bearer token")
    return token


class TokenCache:
    """Recently seen tokens' users, so a busy frontend costs one token lookup a minute.

    Tokens are never revoked by the API; a deleted user's token keeps matching for at
    most `ttl_s` seconds, during which their queries find no rows of theirs.
    """

    def __init__(self, ttl_s: float = 60.0, max_entries: int = 10_000) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, User]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> User | None:
        """The cached user of `token`, or None when unknown or stale."""
        entry = self._entries.get(token)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, token: str, user: User) -> None:
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()  # rare; a cold minute is cheaper than an LRU per hit
            self._entries[token] = (time.monotonic() + self._ttl_s, user)


async def provide_user(
    request: Request[Any, Any, Any],
    state: State,
    db: Annotated[Connection, Dependency(kind="named"), SkipValidationMarker()],
) -> User:
    """The caller, from their bearer token (cached, else one indexed lookup of its hash)."""
    token = bearer_token(request)
    cache: TokenCache = state.tokens
    user = cache.get(token)
    if user is None:
        user = await anyio.to_thread.run_sync(user_by_token, db, token)
        if user is None:
            raise NotAuthorizedException("invalid bearer token: register with POST /api/v1/users")
        cache.put(token, user)
    return user


def require_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of `/admin`: the caller must send the configured admin token."""
    settings: Settings = connection.app.state.settings
    if not settings.admin_token:
        raise PermissionDeniedException(
            "the admin API is disabled: set JOBMATCH_ADMIN_TOKEN where the API runs"
        )
    token = bearer_token(connection)
    if not hmac.compare_digest(token.encode(), settings.admin_token.encode()):
        raise NotAuthorizedException("invalid admin token")
