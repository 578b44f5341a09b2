"""The Atom feed of a person's matches at a secret address: off until turned on, a valid
Atom 1.0 document with each match's reason, and a 404 for any address that does not
open a feed (never issued, replaced, turned off)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from server.demo import DemoLoad
from tests.integration.notify_data import demo_with_lists
from tests.web.helpers import post_form, sign_up, web_client

A = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> DemoLoad:
    return demo_with_lists(db_url, tmp_path)


@pytest.fixture
def client(db_url: str, tmp_path: Path, demo: DemoLoad) -> Iterator[TestClient[Any]]:
    with web_client(db_url, tmp_path) as made:
        yield made


def _auth(demo: DemoLoad, n: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo.users[n].token}"}


def _turn_on(client: TestClient[Any], demo: DemoLoad, n: int = 0) -> str:
    """Turn person `n`'s feed on; the path of its secret address."""
    response = client.post("/api/v1/users/me/notifications/feed", headers=_auth(demo, n))
    assert response.status_code == 201, response.text
    url = str(response.json()["url"])
    assert url.startswith("http://127.0.0.1/api/v1/feeds/")
    return urlsplit(url).path


def _parse(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == f"{A}feed"
    return root


def _text(element: ET.Element, tag: str) -> str:
    child = element.find(f"{A}{tag}")
    assert child is not None, f"<{tag}> missing"
    assert child.text, f"<{tag}> empty"
    return child.text


def test_both_are_off_until_turned_on(client: TestClient[Any], demo: DemoLoad) -> None:
    state = client.get("/api/v1/users/me/notifications", headers=_auth(demo, 0)).json()
    assert state["feed"] is False
    assert state["digest"] is False
    assert state["digest_email"] == demo.users[0].email
    assert state["mail_configured"] is False
    unknown = client.get("/api/v1/feeds/" + "x" * 43)
    assert unknown.status_code == 404
    assert "no feed at this address" in unknown.json()["detail"]


def test_the_feed_is_valid_atom_with_each_matchs_reason(
    client: TestClient[Any], demo: DemoLoad
) -> None:
    path = _turn_on(client, demo)
    response = client.get(path)  # no bearer token: the address is the secret
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = _parse(response.content)
    assert _text(feed, "id") == f"urn:jobmatch:feed:{demo.users[0].id}"
    assert "Maya Okafor" in _text(feed, "title")
    datetime.fromisoformat(_text(feed, "updated"))
    self_link = feed.find(f"{A}link[@rel='self']")
    assert self_link is not None
    assert urlsplit(self_link.attrib["href"]).path == path
    assert feed.find(f"{A}author/{A}name") is not None

    listed = client.get("/api/v1/jobs/recommendations", headers=_auth(demo, 0)).json()
    expected = listed["items"][:20]
    entries = feed.findall(f"{A}entry")
    assert len(entries) == len(expected) > 0
    for entry, item in zip(entries, expected, strict=True):
        job = item["job"]
        assert _text(entry, "id") == f"urn:jobmatch:job:{job['id']}"
        assert _text(entry, "title").startswith(job["title"])
        link = entry.find(f"{A}link[@rel='alternate']")
        assert link is not None
        assert link.attrib["href"] == job["url"]
        datetime.fromisoformat(_text(entry, "updated"))
        summary = _text(entry, "summary")
        assert item["match_reason"] in summary
        assert f"{item['match_score']:.2f}" in summary


def test_each_person_reads_only_their_own_matches(client: TestClient[Any], demo: DemoLoad) -> None:
    first = _parse(client.get(_turn_on(client, demo, 0)).content)
    second = _parse(client.get(_turn_on(client, demo, 1)).content)
    assert _text(first, "id") != _text(second, "id")
    listed = client.get("/api/v1/jobs/recommendations", headers=_auth(demo, 1)).json()
    ids = [_text(e, "id") for e in second.findall(f"{A}entry")]
    assert ids == [f"urn:jobmatch:job:{i['job']['id']}" for i in listed["items"][:20]]


def test_a_new_address_replaces_the_old_and_off_ends_it(
    client: TestClient[Any], demo: DemoLoad
) -> None:
    old = _turn_on(client, demo)
    new = _turn_on(client, demo)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    state = client.get("/api/v1/users/me/notifications", headers=_auth(demo, 0)).json()
    assert state["feed"] is True
    off = client.delete("/api/v1/users/me/notifications/feed", headers=_auth(demo, 0))
    assert off.status_code == 204
    gone = client.get(new)
    assert gone.status_code == 404
    assert gone.json()["detail"] == client.get(old).json()["detail"]  # which one: untold


def test_the_schema_declares_the_feed(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()
    feed = schema["paths"]["/api/v1/feeds/{token}"]["get"]
    assert "application/atom+xml" in feed["responses"]["200"]["content"]
    assert {"404", "429"} <= set(feed["responses"])
    assert "security" not in feed
    for path in ("/api/v1/users/me/notifications/feed", "/api/v1/users/me/notifications/digest"):
        assert "401" in schema["paths"][path]["post"]["responses"]


def test_the_web_page_turns_the_feed_on_and_off(client: TestClient[Any]) -> None:
    sign_up(client, "reader@example.com")
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "Your feed is <strong>off</strong>" in page.text
    on = post_form(client, "/notifications/feed", {}, page="/notifications")
    assert on.status_code == 201
    marker = 'id="feed-url" readonly value="'
    url = on.text.split(marker, 1)[1].split('"', 1)[0]
    feed = client.get(urlsplit(url).path)
    assert feed.status_code == 200
    assert _parse(feed.content).findall(f"{A}entry") == []  # no CV yet: an empty, valid feed
    off = post_form(client, "/notifications/feed/off", {}, page="/notifications")
    assert off.status_code == 200  # followed the redirect
    assert "Your feed is <strong>off</strong>" in off.text
    assert client.get(urlsplit(url).path).status_code == 404


def test_guessing_feed_addresses_is_throttled(client: TestClient[Any]) -> None:
    statuses = [client.get(f"/api/v1/feeds/guess-{n}").status_code for n in range(25)]
    assert statuses[0] == 404
    assert statuses[-1] == 429  # past the bad-token limit of the address (20 a minute)
    refused = client.get("/api/v1/feeds/guess-again")
    assert int(refused.headers["retry-after"]) >= 1
