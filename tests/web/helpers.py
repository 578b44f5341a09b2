"""Driving the web app as a browser does, without one: forms, the CSRF token, cookies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from server.app import create_app
from server.demo import embed_and_recommend, load_demo
from tests.fakes import FakeEmbedder
from workers.pipelines.serving import Embedders
from workers.settings import Settings

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def demo_database(url: str, home: Path) -> None:
    """The demo's 42 jobs and 3 users, embedded (fake embedder) with their lists."""
    load_demo(url)
    embedders = Embedders("fake", home / "models", fixed=FakeEmbedder())
    embed_and_recommend(url, embedders, say=lambda _: None)


@contextmanager
def web_client(url: str, home: Path, **settings: Any) -> Iterator[TestClient[Any]]:
    """The whole app on `url`, tasks run in the request that queues them."""
    config = Settings(home=home, queue_url="immediate", admin_token="admin-token", **settings)
    app = create_app(config, database_url=url, embedder=FakeEmbedder())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def csrf(client: TestClient[Any], path: str = "/signin") -> str:
    """The CSRF token a page's forms carry (the page also sets its cookie)."""
    page = client.get(path)
    match = _CSRF.search(page.text)
    assert match, f"no CSRF token on {path}: {page.status_code} {page.text[:300]}"
    return match.group(1)


def post_form(
    client: TestClient[Any], path: str, data: dict[str, str], *, page: str = "/signin", **kw: Any
) -> Any:
    """POST a form as the page at `page` would, CSRF token included."""
    return client.post(path, data={"_csrf_token": csrf(client, page), **data}, **kw)


def sign_up(client: TestClient[Any], email: str, password: str = PASSWORD) -> Any:
    response = post_form(
        client,
        "/signup",
        {
            "email": email,
            "name": email.partition("@")[0],
            "password": password,
            "confirm": password,
        },
        page="/signup",
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response


def sign_in(client: TestClient[Any], email: str, password: str = PASSWORD) -> Any:
    return post_form(
        client, "/signin", {"email": email, "password": password}, follow_redirects=False
    )


def job_ids(html: str) -> list[int]:
    """The job ids of a page's cards, in page order."""
    return [int(n) for n in re.findall(r'<li class="card" id="job-(\d+)"', html)]
