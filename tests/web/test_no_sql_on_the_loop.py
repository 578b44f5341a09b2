"""No statement runs on the event loop: the web app's pages and actions and the API's
routes, driven as a person and a frontend do, with every statement's thread checked.

A statement on the loop would stall every request of its process while the database
is slow or silent (issue 18); tests/e2e/test_api_outage.py shows the stall itself on a
few routes, this test covers every route cheaply.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from litestar.testing import TestClient

from tests.web.helpers import post_form, sign_up

CV_TEXT = "Backend engineer: Python, PostgreSQL, APIs, Docker, Kubernetes, data pipelines."


@pytest.fixture
def statements_on_the_loop(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement run while an event loop runs in the calling thread (worker
    threads, the pulse and the watchdog have none)."""
    found: list[str] = []
    execute = psycopg.Cursor.execute

    def watched(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            found.append(str(query)[:120])
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", watched)
    return found


def test_the_check_sees_a_statement_on_the_loop(
    statements_on_the_loop: list[str], db_url: str
) -> None:
    async def on_the_loop() -> None:
        with psycopg.connect(db_url) as conn:
            conn.execute("SELECT 1")

    asyncio.run(on_the_loop())
    assert statements_on_the_loop == ["SELECT 1"]


def test_no_page_or_action_runs_sql_on_the_loop(
    demo: TestClient[Any], statements_on_the_loop: list[str]
) -> None:
    sign_up(demo, "ada@example.com")
    uploaded = post_form(demo, "/cv", {"text": CV_TEXT}, page="/cv")
    assert "Your CV is saved" in uploaded.text
    job_id = int(uploaded.text.split('<li class="card" id="job-', 1)[1].split('"', 1)[0])
    hx = {"HX-Request": "true"}
    for action, data in (
        ("save", {"next": "/"}),
        ("apply", {"next": "/"}),
        ("vote", {"vote": "up", "reason": "fits", "next": "/"}),
    ):
        answer = post_form(demo, f"/jobs/{job_id}/{action}", data, page="/", headers=hx)
        assert answer.status_code == 200, (action, answer.text)
    for path in ("/", "/?page=2", "/search?q=python", f"/jobs/{job_id}", "/saved"):
        assert demo.get(path).status_code == 200, path
    for path in ("/applications", "/cv", "/preferences", "/tokens", "/signin", "/signup"):
        assert demo.get(path, follow_redirects=False).status_code in {200, 303}, path
    saved = post_form(demo, "/preferences", {"locations": "Berlin"}, page="/preferences")
    assert saved.status_code == 200
    assert post_form(demo, "/tokens", {"label": "script"}, page="/tokens").status_code == 201
    added = post_form(demo, "/cvs", {"name": "data", "text": CV_TEXT}, page="/cv")
    assert added.status_code == 200, added.text
    assert demo.get("/notifications").status_code == 200
    for form in ("/notifications/feed", "/notifications/digest"):
        answer = post_form(demo, form, {}, page="/notifications")
        assert answer.status_code in {200, 201}, (form, answer.text)
    assert post_form(demo, "/signout", {}, page="/").status_code == 200
    assert statements_on_the_loop == []


def test_no_api_route_runs_sql_on_the_loop(
    demo: TestClient[Any], statements_on_the_loop: list[str]
) -> None:
    api = "/api/v1"
    token = demo.post(f"{api}/users", json={"email": "bo@example.com"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert demo.put(f"{api}/users/me/cv", json={"text": CV_TEXT}, headers=auth).is_success
    job_id = demo.get(f"{api}/jobs", headers=auth).json()["items"][0]["id"]
    reads = (
        "/health",
        "/users/me",
        "/users/me/cv",
        "/users/me/preferences",
        "/jobs",
        "/jobs/search?q=python",
        "/jobs/recommendations",
        f"/jobs/{job_id}",
        "/users/me/saved-jobs",
        "/users/me/applications",
        "/users/me/tokens",
    )
    for path in reads:
        assert demo.get(f"{api}{path}", headers=auth).status_code == 200, path
    writes = (
        ("post", f"/jobs/{job_id}/save", None),
        ("post", f"/jobs/{job_id}/applications", {"note": ""}),
        ("post", f"/jobs/{job_id}/feedback", {"vote": "up"}),
        ("post", "/jobs/recommendations/generate", None),
        ("put", "/users/me/preferences", {"locations": ["Berlin"]}),
    )
    for method, path, body in writes:
        answer = demo.request(method, f"{api}{path}", json=body, headers=auth)
        assert answer.is_success, (path, answer.text)
    _named_cvs_and_notifications(demo, auth)
    admin = {"Authorization": "Bearer admin-token"}
    assert demo.get(f"{api}/admin/status", headers=admin).status_code == 200
    assert demo.get(f"{api}/jobs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert statements_on_the_loop == []


def _named_cvs_and_notifications(demo: TestClient[Any], auth: dict[str, str]) -> None:
    """The routes of several CVs, the feed and the digest (issue 19), on worker threads too."""
    api = "/api/v1"
    added = demo.post(f"{api}/users/me/cvs", json={"name": "data", "text": CV_TEXT}, headers=auth)
    assert added.is_success, added.text
    cv_id = added.json()["named_cv"]["id"]
    assert demo.post(f"{api}/users/me/cvs/{cv_id}/activate", headers=auth).is_success
    for path in (
        "/users/me/cvs",
        f"/jobs/recommendations?cv_id={cv_id}",
        "/users/me/notifications",
    ):
        assert demo.get(f"{api}{path}", headers=auth).status_code == 200, path
    feed = demo.post(f"{api}/users/me/notifications/feed", headers=auth)
    assert feed.status_code == 201, feed.text
    assert demo.get(urlsplit(feed.json()["url"]).path).status_code == 200
    assert demo.post(f"{api}/users/me/notifications/digest", headers=auth).is_success
