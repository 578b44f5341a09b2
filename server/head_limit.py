"""uvicorn's HTTP protocol with a cap on a request's head, enforced while it is read.

uvicorn (httptools) would read up to 8 MB of request line and headers before the app
could refuse them (`server.guards` answers 431 above 16 KB). This protocol counts the
bytes that arrive while a head is incomplete, and past `MAX_HEAD_BYTES` answers 431 and
closes the connection: at most one socket read (256 KB) more is ever held.
`jobmatch serve` and `jobmatch up` start uvicorn with `UVICORN_OPTIONS`.
"""

from __future__ import annotations

import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.guards import MAX_HEADER_BYTES

# The headers the app accepts, plus room for a long request line.
MAX_HEAD_BYTES = MAX_HEADER_BYTES + 8 * 1024
UVICORN_OPTIONS: dict[str, Any] = {
    "http": "server.head_limit:HeadLimitedProtocol",
    # Should uvicorn be told to use h11 instead, its own limit applies.
    "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
}


def _refusal() -> bytes:
    body = json.dumps(
        {"status_code": 431, "detail": f"the request's head exceeds {MAX_HEAD_BYTES} bytes"}
    ).encode()
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class HeadLimitedProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` answering 431 and closing once a head outgrows `MAX_HEAD_BYTES`.

    A connection starts in a head; a head ends when its headers are complete, and the
    next one begins after the message ends. A read is counted before it is parsed, so
    the part of a read that starts a pipelined request's head is not counted: the cap
    may be passed by one read, never more.
    """

    _head_bytes = 0
    _in_head = True

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        too_large = self._in_head and self._head_bytes > MAX_HEAD_BYTES
        if too_large and not self.transport.is_closing():
            self.logger.warning("request head over %d bytes: answered 431", MAX_HEAD_BYTES)
            self.transport.write(_refusal())
            self.transport.close()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0
