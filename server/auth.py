"""Bearer tokens: one per user (stored hashed) for `/users/me` and `/jobs`, one admin token.

Every refusal is a 401 with a message saying what to send; a missing admin token in the
settings disables `/admin` (403) rather than leaving it open. A revoked token stops
working at once in every API process (`server.token_cache`).
"""

from __future__ import annotations

import hmac
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
from server.throttle import Throttle, ip_of
from server.token_cache import TokenCache
from workers.settings import Settings

MAX_TOKEN_CHARS = 200
BAD_TOKEN = (
    "invalid bearer token: it was revoked, never issued, or issued for an e-mail that "
    "already had an account; register with POST /api/v1/users"
)


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


async def provide_user(
    request: Request[Any, Any, Any],
    state: State,
    db: Annotated[Connection, Dependency(kind="named"), SkipValidationMarker()],
) -> User:
    """The caller, from their bearer token: cached, else one indexed lookup of its hash.
    The cache forgets every token the moment any API process revokes one."""
    throttle: Throttle = state.throttle
    limit, ip = throttle.limits.bad_token_per_ip, ip_of(request)
    throttle.check(limit, ip)
    token = bearer_token(request)
    cache: TokenCache = state.tokens
    user = cache.get(token)
    if user is not None:
        return user
    generation = cache.generation
    user = await anyio.to_thread.run_sync(user_by_token, db, token)
    if user is not None:
        cache.put(token, user, generation)
    else:
        # Guessing is throttled per address: past the limit a 429, not a 401.
        await anyio.to_thread.run_sync(throttle.hit, db, limit, ip)
        raise NotAuthorizedException(BAD_TOKEN)
    return user


async def require_admin(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard of `/admin`: the caller must send the configured admin token. Wrong ones
    are throttled per address with the bad user tokens (429 with `Retry-After`)."""
    state = connection.app.state
    settings: Settings = state.settings
    if not settings.admin_token:
        raise PermissionDeniedException(
            "the admin API is disabled: set JOBMATCH_ADMIN_TOKEN where the API runs"
        )
    throttle: Throttle = state.throttle
    limit, ip = throttle.limits.bad_token_per_ip, ip_of(connection)
    throttle.check(limit, ip)
    token = bearer_token(connection)
    if not hmac.compare_digest(token.encode(), settings.admin_token.encode()):
        await anyio.to_thread.run_sync(throttle.hit_pooled, state.database, limit, ip)
        raise NotAuthorizedException("invalid admin token")
