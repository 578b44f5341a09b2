"""Checks on every request before routing: a cap on header size, and no NUL anywhere in
the path or query string (PostgreSQL text cannot hold one; it is refused with a 400
before any SQL)."""

from __future__ import annotations

import json

from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

MAX_HEADER_BYTES = 16 * 1024


class InputGuard:
    """ASGI middleware answering 431 for oversized headers and 400 for a NUL character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            refusal = _refusal(scope)
            if refusal is not None:
                await _refuse(send, *refusal)
                return
        await self.app(scope, receive, send)


def _refusal(scope: Scope) -> tuple[int, str] | None:
    size = sum(len(name) + len(value) for name, value in scope["headers"])
    if size > MAX_HEADER_BYTES:
        return 431, f"the request's headers exceed {MAX_HEADER_BYTES} bytes"
    raw = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    for part in (raw, query):
        if b"\x00" in part or b"%00" in part.lower():
            return 400, "NUL characters are not accepted in the path or query"
    if "\x00" in scope["path"]:
        return 400, "NUL characters are not accepted in the path or query"
    return None


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"status_code": status, "detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": headers,
    }
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(end)
