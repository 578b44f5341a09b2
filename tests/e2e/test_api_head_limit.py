"""`jobmatch serve` refuses an oversized request head while reading it: a client sending
megabytes of headers gets a 431 and a closed connection long before it is done, while
ordinary requests on a kept-alive connection are served."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from server.head_limit import MAX_HEAD_BYTES
from tests.conftest import TEMPLATE
from tests.serving import serving

PIECE = b"X-Padding: " + b"a" * 16_000 + b"\r\n"
PIECES = 128  # 2 MB of headers


@pytest.fixture(scope="module")
def address(
    server_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    """One server for the module (on its own copy of the migrated template)."""
    name = "jobmatch_head_limit"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    url = make_conninfo("", **{**conninfo_to_dict(server_url), "dbname": name})
    try:
        with serving(url, tmp_path_factory.mktemp("head")) as base:
            parts = urlsplit(base)
            assert parts.hostname is not None
            assert parts.port is not None
            yield parts.hostname, parts.port
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes or stops for a second."""
    received = b""
    while select.select([sock], [], [], 1.0)[0]:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def test_megabytes_of_headers_are_refused_while_they_arrive(address: tuple[str, int]) -> None:
    sock = socket.create_connection(address, timeout=5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32 * 1024)
    started = time.monotonic()
    sent = 0
    answered = False
    with sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: test\r\n")
        for _ in range(PIECES):
            # A few milliseconds per piece let a loaded server keep up, as a network would.
            if select.select([sock], [], [], 0.005)[0]:
                answered = True
                break
            try:
                sock.sendall(PIECE)
            except (BrokenPipeError, ConnectionResetError):
                answered = True
                break
            sent += len(PIECE)
        try:
            reply = _answer(sock)
        except ConnectionResetError:
            reply = b""  # closed with our unread bytes pending: the reply may be lost
    assert answered, "the server read 2 MB of headers without answering"
    assert sent < 1024 * 1024, f"{sent} bytes of headers sent before the server answered"
    assert time.monotonic() - started < 5
    assert reply == b"" or reply.startswith(b"HTTP/1.1 431 "), reply[:200]


def test_ordinary_requests_on_one_connection_are_served(address: tuple[str, int]) -> None:
    big = b"X-Big: " + b"b" * 8000 + b"\r\n"
    request = b"GET /schema/openapi.json HTTP/1.1\r\nHost: test\r\n" + big + b"\r\n"
    with socket.create_connection(address, timeout=5) as sock:
        for _ in range(3):  # each request's head counts afresh
            sock.sendall(request)
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(65536)
            assert head.startswith(b"HTTP/1.1 200 "), head[:200]
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            body = head.split(b"\r\n\r\n", 1)[1]
            while len(body) < length:
                body += sock.recv(65536)


def test_a_head_just_over_the_apps_cap_gets_its_json_431(address: tuple[str, int]) -> None:
    big = b"X-Big: " + b"c" * (MAX_HEAD_BYTES - 4000) + b"\r\n"
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: test\r\n" + big + b"\r\n")
        reply = _answer(sock)
    assert reply.startswith(b"HTTP/1.1 431 "), reply[:200]
    assert b'"status_code":431' in reply.replace(b" ", b"")
