"""The feed and the digest follow the person's active named CV: a person with two CVs
reads the active one's list in the feed and gets its new matches by mail; after
`POST /users/me/cvs/{id}/activate` both follow the other CV, and a job already mailed is
never mailed again, whichever CV's list brings it back (API, worker tasks in Huey's
immediate mode, the fake embedder, a real SMTP server on 127.0.0.1)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from schema.database import Connection
from server.app import create_app
from tests.fakes import FakeEmbedder
from tests.integration.named_cv_data import add_backend_and_care_jobs, add_named_cv
from tests.integration.notify_data import FROM, PUBLIC
from tests.smtp_server import smtp_server
from workers.pipelines.digest import DEPTH, DigestSummary, send_digests
from workers.pipelines.feed import FEED_ENTRIES
from workers.settings import Settings, SmtpServer

API = "/api/v1"
ATOM = "{http://www.w3.org/2005/Atom}"
BACKEND = "Python backend developer: Django APIs on PostgreSQL."
CARE = "Registered nurse: patient care on the intensive care unit."


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    """The API whose queued tasks run at once (embedding, then the person's lists)."""
    settings = Settings(home=tmp_path, queue_url="immediate")
    app = create_app(settings, database_url=db_url, embedder=FakeEmbedder())
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def catalog(conn: Connection, db_url: str) -> None:
    """Backend jobs and care jobs, embedded: each CV's list starts with its own kind."""
    add_backend_and_care_jobs(conn, db_url)


def _listed(client: TestClient[Litestar], headers: dict[str, str], cv_id: int) -> list[int]:
    """The job ids of one named CV's stored list, best first, as the API serves it."""
    body = client.get(
        f"{API}/jobs/recommendations", headers=headers, params={"cv_id": cv_id}
    ).json()
    assert body["status"] == "ready", body
    return [int(item["job"]["id"]) for item in body["items"]]


def _reasons(client: TestClient[Litestar], headers: dict[str, str], cv_id: int) -> list[str]:
    body = client.get(f"{API}/jobs/recommendations", headers=headers, params={"cv_id": cv_id})
    return [str(item["match_reason"]) for item in body.json()["items"]]


def _feed(client: TestClient[Litestar], path: str) -> list[tuple[int, str]]:
    """The feed's entries, in order: each job's id and the entry's summary."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    entries = ET.fromstring(response.content).findall(f"{ATOM}entry")
    return [
        (
            int((entry.findtext(f"{ATOM}id") or "").removeprefix("urn:jobmatch:job:")),
            entry.findtext(f"{ATOM}summary") or "",
        )
        for entry in entries
    ]


def _assert_follows(feed: list[tuple[int, str]], jobs: list[int], reasons: list[str]) -> None:
    """The feed is this list's top, each entry with the reason the list gives."""
    assert [job for job, _ in feed] == jobs[:FEED_ENTRIES]
    for (job, summary), reason in zip(feed, reasons, strict=False):
        assert reason in summary, (job, summary, reason)


def _digest(db_url: str, home: Path, port: int) -> DigestSummary:
    """The 08:00 run's work: every opted-in person's new matches, sent."""
    smtp = SmtpServer(host="127.0.0.1", port=port, security="none")
    return send_digests(db_url, Settings(home=home, smtp=smtp, mail_from=FROM, public_url=PUBLIC))


def _sent(conn: Connection, user_id: int) -> set[int]:
    rows = conn.execute(
        "SELECT job_id FROM digest_sent_jobs WHERE user_id = %(u)s", {"u": user_id}
    ).fetchall()
    return {int(str(row[0])) for row in rows}


def _mailed_titles(plain: str) -> list[str]:
    """The titles of a digest's numbered lines ("1. Title — Company, place")."""
    return [line.split(" — ")[0] for line in re.findall(r"^\d+\. (.+)$", plain, re.MULTILINE)]


@pytest.mark.usefixtures("catalog")
def test_the_feed_and_the_digest_follow_the_active_cv(
    client: TestClient[Litestar], conn: Connection, db_url: str, tmp_path: Path
) -> None:
    registered = client.post(f"{API}/users", json={"email": "two@example.com"})
    me = {"Authorization": f"Bearer {registered.json()['token']}"}
    user_id = int(client.get(f"{API}/users/me", headers=me).json()["id"])
    backend = add_named_cv(client, me, "backend", BACKEND)  # the first: active
    care = add_named_cv(client, me, "care", CARE)
    backend_list, care_list = _listed(client, me, backend), _listed(client, me, care)
    assert backend_list[:DEPTH] != care_list[:DEPTH]
    # Each list's reasons quote its own CV: the feed's summaries tell the lists apart too.
    backend_why, care_why = _reasons(client, me, backend), _reasons(client, me, care)
    feed = urlsplit(client.post(f"{API}/users/me/notifications/feed", headers=me).json()["url"])
    assert client.post(f"{API}/users/me/notifications/digest", headers=me).status_code < 300

    with smtp_server() as smtp:
        _assert_follows(_feed(client, feed.path), backend_list, backend_why)
        first = _digest(db_url, tmp_path, smtp.port)
        assert (first.sent, first.jobs_sent) == (1, DEPTH)
        assert _sent(conn, user_id) == set(backend_list[:DEPTH])

        activated = client.post(f"{API}/users/me/cvs/{care}/activate", headers=me)
        assert activated.status_code == 200, activated.text
        _assert_follows(_feed(client, feed.path), care_list, care_why)
        second = _digest(db_url, tmp_path, smtp.port)
        # The care list's top 10, less what the first digest already carried.
        due = [job for job in care_list[:DEPTH] if job not in backend_list[:DEPTH]]
        assert due
        assert (second.sent, second.jobs_sent) == (1, len(due))
        assert _sent(conn, user_id) == set(backend_list[:DEPTH]) | set(due)

        # Back to the first CV: its top 10 was mailed already, so nothing goes again.
        assert client.post(f"{API}/users/me/cvs/{backend}/activate", headers=me).status_code == 200
        _assert_follows(_feed(client, feed.path), backend_list, backend_why)
        third = _digest(db_url, tmp_path, smtp.port)
        assert (third.sent, third.nothing_new) == (0, 1)

    messages = smtp.inbox.messages()
    assert len(messages) == 2
    titles = {
        int(str(job)): str(title)
        for job, title in conn.execute("SELECT id, title FROM jobs").fetchall()
    }
    for message, jobs, name in zip(
        messages, (backend_list[:DEPTH], due), ("backend", "care"), strict=True
    ):
        plain = message.get_body(("plain",))
        assert plain is not None
        text = str(plain.get_content())
        assert _mailed_titles(text) == [titles[job] for job in jobs]
        assert f"New matches for your CV “{name}” since your last digest:" in text
