"""The caller's bearer tokens: list, issue another, revoke one or all.

A revoked token stops working at once in every API process: the revocation returns
once each of them has forgotten the tokens it had cached (server/token_cache.py).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter
from litestar.status_codes import HTTP_201_CREATED

from schema.queries.users import issue_token_with_id, tokens_of
from server.routes.common import MAX_ID, CurrentUser, Db, error_responses, with_errors
from server.schemas import NewToken, TokenOut, Tokens
from server.token_cache import revoke_everywhere

TokenId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="a token's id")]


@with_errors(401, 429, 503)
class TokensController(Controller):
    path = "/users/me/tokens"
    tags = ("users",)

    @get("/", sync_to_thread=True, summary="The caller's tokens (ids and dates)")
    def list_tokens(self, db: Db, user: CurrentUser) -> Tokens:
        items = [
            TokenOut(id=t.id, created_at=t.created_at, current=t.id == user.token_id)
            for t in tokens_of(db, user.id)
        ]
        return Tokens(items=items)

    @post("/", status_code=HTTP_201_CREATED, sync_to_thread=True, summary="Issue a new token")
    def issue(self, db: Db, user: CurrentUser) -> NewToken:
        """A new token for the caller, shown only here (e.g. before revoking the old one)."""
        token_id, token = issue_token_with_id(db, user.id)
        return NewToken(id=token_id, token=token)

    @delete(
        "/{token_id:int}",
        sync_to_thread=True,
        summary="Revoke one token",
        responses=error_responses(400, 404),
    )
    def revoke(self, db: Db, state: State, user: CurrentUser, token_id: TokenId) -> None:
        """The token stops working at once; 404 for a token that is not the caller's."""
        if not revoke_everywhere(db, state.tokens, user.id, token_id):
            raise NotFoundException(f"you have no token {token_id}")

    @delete("/", sync_to_thread=True, summary="Revoke every token of the caller")
    def revoke_all(self, db: Db, state: State, user: CurrentUser) -> None:
        """Every token of the caller stops working at once, the one used here included."""
        revoke_everywhere(db, state.tokens, user.id)
