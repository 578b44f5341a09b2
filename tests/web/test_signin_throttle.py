"""Web sign-in and sign-up use the API's shared rate limits (`server.throttle`): per
account and per address, counted in PostgreSQL so every API process enforces one limit,
refused with a 429 page that says when to try again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from server.app import create_app
from server.throttle import Limit, Limits
from tests.fakes import FakeEmbedder
from tests.web.helpers import PASSWORD, post_form, sign_in, sign_up
from workers.settings import Settings

TIGHT = Limits(
    sign_in_per_ip=Limit("sign-in/ip", 6, 600),
    sign_in_per_account=Limit("sign-in/account", 3, 600),
    sign_up_per_ip=Limit("sign-up/ip", 3, 3600),
)


def _clients(url: str, home: Path, count: int, stack: ExitStack) -> Iterator[TestClient[Any]]:
    """`count` apps on one database, as separate API processes would be."""
    for _ in range(count):
        app = create_app(
            Settings(home=home, queue_url="immediate"),
            database_url=url,
            embedder=FakeEmbedder(),
            limits=TIGHT,
        )
        yield stack.enter_context(TestClient(app, base_url="http://127.0.0.1"))


def _refused(response: Any, whose: str) -> None:
    assert response.status_code == 429
    seconds = int(response.headers["retry-after"])
    assert f"Too many attempts {whose}. Try again in {-(-seconds // 60)} min." in response.text


def test_sign_in_is_throttled_per_account_across_processes(db_url: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        one, two = _clients(db_url, tmp_path, 2, stack)
        sign_up(one, "ada@example.com")
        codes = [sign_in(client, "ada@example.com", "wrong").status_code for client in (one, two)]
        assert codes == [401, 401]
        assert sign_in(one, "ada@example.com").status_code == 303  # a success counts too
        refused = sign_in(two, "ada@example.com")
        _refused(refused, "for this email")
        assert "ada@example.com" in refused.text  # the form keeps what was typed
        assert PASSWORD not in refused.text
        assert sign_in(two, "bob@example.com").status_code == 401  # another account may try


def test_sign_in_is_throttled_per_address(db_url: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        (client,) = _clients(db_url, tmp_path, 1, stack)
        codes = [sign_in(client, f"u{n}@example.com").status_code for n in range(6)]
        assert codes == [401] * 6
        _refused(sign_in(client, "u7@example.com"), "from your network")


def test_sign_up_is_throttled_per_address(db_url: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        (client,) = _clients(db_url, tmp_path, 1, stack)
        for n in range(3):
            sign_up(client, f"new{n}@example.com")
            post_form(client, "/signout", {}, page="/cv")
        fields = {"email": "new3@example.com", "password": PASSWORD, "confirm": PASSWORD}
        refused = post_form(client, "/signup", fields, page="/signup")
        _refused(refused, "from your network")
