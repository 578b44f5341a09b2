"""API tokens: a person creates named bearer tokens for scripts and revokes them."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from schema.queries.accounts import user_tokens
from schema.queries.users import issue_token_with_id
from server.routes.common import Db
from server.token_cache import revoke_everywhere
from server.web.auth import Person
from server.web.common import done_message, form_fields, page, redirect

MAX_LABEL = 100
TokenId = Annotated[int, PathParameter(ge=1, le=2**63 - 1, description="a token's id")]


class TokensController(Controller):
    path = "/tokens"
    include_in_schema = False

    @get("/", name="tokens")
    async def tokens_page(
        self, request: Request[Any, Any, Any], db: Db, person: Person
    ) -> Template:
        tokens = await anyio.to_thread.run_sync(user_tokens, db, person.id)
        return page(
            "tokens.html",
            person=person,
            active="tokens",
            tokens=tokens,
            notice=done_message(request),
        )

    @post("/")
    async def create(self, request: Request[Any, Any, Any], db: Db, person: Person) -> Template:
        """A new token, shown once on the page that answers this form."""
        label = (await form_fields(request)).get("label", "").strip()[:MAX_LABEL]
        _, token = await anyio.to_thread.run_sync(
            issue_token_with_id, db, person.id, label or "unnamed"
        )
        tokens = await anyio.to_thread.run_sync(user_tokens, db, person.id)
        return page(
            "tokens.html",
            person=person,
            active="tokens",
            tokens=tokens,
            new_token=token,
            status_code=201,
        )

    @post("/{token_id:int}/revoke")
    async def revoke(self, db: Db, state: State, person: Person, token_id: TokenId) -> Redirect:
        """Another person's token id is "not found", never a hint that it exists. The
        token stops working at once in every API process, as with the API's revocation."""
        if not await anyio.to_thread.run_sync(
            revoke_everywhere, db, state.tokens, person.id, token_id
        ):
            raise NotFoundException("you have no token with that id")
        return redirect("/tokens", "token_revoked")
