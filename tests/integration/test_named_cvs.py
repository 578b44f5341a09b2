"""Several named CVs per person through the HTTP API (worker tasks in Huey's immediate
mode, the fake embedder): each CV's own list, choosing the active one, `?cv_id=`, the
limit of five, another person's CV, deleting, per-CV expiry and cleanup, votes per CV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from schema.database import connect
from schema.queries.generation_reads import feedback_vectors
from schema.queries.list_pages import ACTIVE_LISTS, read_active_list
from schema.queries.models import active_model
from server.app import create_app
from tests.fakes import FakeEmbedder
from tests.integration.named_cv_data import add_backend_and_care_jobs, add_named_cv
from tests.integration.recommend_data import add_job
from workers.pipelines.cleanup import cleanup
from workers.pipelines.recommend import generate
from workers.settings import Settings

API = "/api/v1"
BACKEND = "Python backend developer: Django APIs on PostgreSQL."
CARE = "Registered nurse: patient care on the intensive care unit."
Conn = psycopg.Connection[tuple[object, ...]]


@pytest.fixture
def db(db_url: str) -> Iterator[Conn]:
    conn = connect(db_url)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    """The API whose queued tasks run at once (embedding, then the person's lists)."""
    settings = Settings(home=tmp_path, queue_url="immediate")
    app = create_app(settings, database_url=db_url, embedder=FakeEmbedder())
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def catalog(db: Conn, db_url: str) -> None:
    """Backend jobs and care jobs, embedded."""
    add_backend_and_care_jobs(db, db_url)


def _register(client: TestClient[Litestar], email: str) -> dict[str, str]:
    response = client.post(f"{API}/users", json={"email": email})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _titles(client: TestClient[Litestar], headers: dict[str, str], **params: int) -> list[str]:
    body = client.get(f"{API}/jobs/recommendations", headers=headers, params=params).json()
    assert body["status"] == "ready", body
    return [item["job"]["title"] for item in body["items"]]


@pytest.mark.usefixtures("catalog")
def test_each_named_cv_has_its_own_list_and_the_active_one_is_the_default(
    client: TestClient[Litestar], db: Conn, db_url: str
) -> None:
    me = _register(client, "two@example.com")
    backend = add_named_cv(client, me, "backend", BACKEND)
    care = add_named_cv(client, me, "care", CARE)

    listed = client.get(f"{API}/users/me/cvs", headers=me).json()
    assert [(cv["name"], cv["active"]) for cv in listed["items"]] == [
        ("backend", True),
        ("care", False),
    ]
    assert listed["limit"] == 5
    assert all(title.startswith("Python") for title in _titles(client, me)[:10])
    assert all(title.startswith("ICU") for title in _titles(client, me, cv_id=care)[:10])
    assert _titles(client, me, cv_id=backend) == _titles(client, me)
    # Each list's reasons quote its own CV.
    for cv_id, text in ((backend, BACKEND), (care, CARE)):
        items = client.get(
            f"{API}/jobs/recommendations", headers=me, params={"cv_id": cv_id}
        ).json()["items"]
        quotes = [i["match_parts"]["cv_quote"] for i in items if i["match_parts"]["cv_quote"]]
        assert quotes
        assert all(quote in text for quote in quotes)
    lists = db.execute("SELECT named_cv_id FROM recommendation_lists ORDER BY named_cv_id")
    assert lists.fetchall() == [(backend,), (care,)]

    # The nightly run makes every named CV's list, not only the active one's.
    db.execute("DELETE FROM recommendation_lists")
    assert generate(db_url).users == 2
    again = db.execute("SELECT named_cv_id FROM recommendation_lists ORDER BY named_cv_id")
    assert again.fetchall() == [(backend,), (care,)]

    activated = client.post(f"{API}/users/me/cvs/{care}/activate", headers=me)
    assert activated.status_code == 200
    assert activated.json()["active"] is True
    user_id = client.get(f"{API}/users/me", headers=me).json()["id"]
    assert read_active_list(db, user_id).named_cv_id == care
    active = db.execute(
        f"SELECT l.named_cv_id FROM {ACTIVE_LISTS} WHERE l.user_id = %s", (user_id,)
    )
    assert active.fetchall() == [(care,)]
    envelope = client.get(f"{API}/jobs/recommendations", headers=me).json()
    assert envelope["cv_id"] == care
    assert all(title.startswith("ICU") for title in _titles(client, me)[:10])

    # The single-CV routes act on the active CV: a new text goes to "care".
    put = client.put(f"{API}/users/me/cv", headers=me, json={"text": CARE + " Paediatrics."})
    assert put.status_code == 200, put.text
    assert put.json()["named_cv_id"] == care
    assert client.get(f"{API}/users/me/cv", headers=me).json()["text"].endswith("Paediatrics.")
    assert len(client.get(f"{API}/users/me/cvs", headers=me).json()["items"]) == 2


def test_the_first_upload_through_the_single_cv_route_makes_main(
    client: TestClient[Litestar],
) -> None:
    me = _register(client, "one@example.com")
    assert client.put(f"{API}/users/me/cv", headers=me, json={"text": BACKEND}).status_code == 200
    (only,) = client.get(f"{API}/users/me/cvs", headers=me).json()["items"]
    assert (only["name"], only["active"], only["current"]["text"]) == ("main", True, BACKEND)


def test_a_sixth_cv_is_409_and_names_are_checked(client: TestClient[Litestar]) -> None:
    me = _register(client, "five@example.com")
    for n in range(5):
        add_named_cv(client, me, f"cv {n}", f"Python developer number {n}.")
    sixth = client.post(f"{API}/users/me/cvs", headers=me, json={"name": "six", "text": "Nurse."})
    assert sixth.status_code == 409
    assert "5 CVs" in sixth.json()["detail"]
    assert len(client.get(f"{API}/users/me/cvs", headers=me).json()["items"]) == 5

    other = _register(client, "names@example.com")
    add_named_cv(client, other, "Backend", BACKEND)
    again = {"name": "backend", "text": CARE}
    taken = client.post(f"{API}/users/me/cvs", headers=other, json=again)
    assert taken.status_code == 409
    assert "backend" in taken.json()["detail"]
    for bad in ("", " padded", "x" * 41, "tab\there"):
        response = client.post(
            f"{API}/users/me/cvs", headers=other, json={"name": bad, "text": BACKEND}
        )
        assert response.status_code == 400, bad


def test_another_persons_cv_is_404_everywhere(client: TestClient[Litestar], db: Conn) -> None:
    owner = _register(client, "owner@example.com")
    theirs = add_named_cv(client, owner, "backend", BACKEND)
    job = add_job(db, None, None)
    me = _register(client, "me@example.com")
    add_named_cv(client, me, "mine", CARE)
    base = f"{API}/users/me/cvs/{theirs}"
    attempts = [
        client.get(base, headers=me),
        client.put(base, headers=me, json={"text": "taken over"}),
        client.patch(base, headers=me, json={"name": "stolen"}),
        client.post(f"{base}/activate", headers=me),
        client.delete(base, headers=me),
        client.get(f"{API}/jobs/recommendations", headers=me, params={"cv_id": theirs}),
        client.post(f"{API}/jobs/{job}/feedback", headers=me, json={"vote": "up", "cv_id": theirs}),
    ]
    assert [response.status_code for response in attempts] == [404] * len(attempts)
    assert all("no CV with id" in response.json()["detail"] for response in attempts)
    kept = client.get(base, headers=owner).json()
    assert (kept["name"], kept["active"], kept["current"]["text"]) == ("backend", True, BACKEND)


@pytest.mark.usefixtures("catalog")
def test_renaming_uploading_and_deleting(client: TestClient[Litestar], db: Conn) -> None:
    me = _register(client, "edit@example.com")
    backend = add_named_cv(client, me, "backend", BACKEND)
    care = add_named_cv(client, me, "care", CARE)
    renamed = client.patch(f"{API}/users/me/cvs/{care}", headers=me, json={"name": "nursing"})
    assert renamed.json()["name"] == "nursing"
    upload = client.put(f"{API}/users/me/cvs/{care}", headers=me, json={"text": CARE + " ICU."})
    assert upload.status_code == 200, upload.text
    assert upload.json()["named_cv"]["current"]["text"] == CARE + " ICU."
    versions = db.execute("SELECT count(*) FROM cvs WHERE named_cv_id = %s", (care,)).fetchone()
    assert versions == (2,)

    # Deleting the active CV takes its list and makes the remaining one active.
    assert client.delete(f"{API}/users/me/cvs/{backend}", headers=me).status_code == 204
    assert db.execute("SELECT named_cv_id FROM recommendation_lists").fetchall() == [(care,)]
    (left,) = client.get(f"{API}/users/me/cvs", headers=me).json()["items"]
    assert (left["id"], left["active"]) == (care, True)
    assert all(title.startswith("ICU") for title in _titles(client, me)[:10])
    # The last one may go too: the person is back to having no CV.
    assert client.delete(f"{API}/users/me/cvs/{care}", headers=me).status_code == 204
    assert client.get(f"{API}/jobs/recommendations", headers=me).json()["status"] == "no_cv"
    assert db.execute("SELECT count(*) FROM cvs").fetchone() == (0,)


@pytest.mark.usefixtures("catalog")
def test_expiry_and_cleanup_are_per_cv(client: TestClient[Litestar], db: Conn, db_url: str) -> None:
    me = _register(client, "expiry@example.com")
    backend = add_named_cv(client, me, "backend", BACKEND)
    care = add_named_cv(client, me, "care", CARE)
    db.execute(
        "UPDATE recommendation_lists SET expires_at = now() - interval '1 minute'"
        " WHERE named_cv_id = %s",
        (care,),
    )
    summary = cleanup(db_url, parts=("recommendations",), now=datetime.now(UTC))
    assert summary.recommendations > 0
    assert db.execute("SELECT named_cv_id FROM recommendation_lists").fetchall() == [(backend,)]
    assert _titles(client, me, cv_id=backend)
    # Later than three days, the other list has expired as well.
    later = cleanup(db_url, parts=("recommendations",), now=datetime.now(UTC) + timedelta(days=4))
    assert later.recommendations > 0
    assert db.execute("SELECT count(*) FROM recommendation_lists").fetchone() == (0,)


@pytest.mark.usefixtures("catalog")
def test_a_vote_steers_the_list_it_was_cast_on(client: TestClient[Litestar], db: Conn) -> None:
    me = _register(client, "votes@example.com")
    backend = add_named_cv(client, me, "backend", BACKEND)
    care = add_named_cv(client, me, "care", CARE)
    body = client.get(f"{API}/jobs/recommendations", headers=me, params={"cv_id": care}).json()
    liked, disliked = body["items"][0]["job"]["id"], body["items"][1]["job"]["id"]
    up = client.post(f"{API}/jobs/{liked}/feedback", headers=me, json={"vote": "up", "cv_id": care})
    assert up.status_code == 201
    down = client.post(f"{API}/jobs/{disliked}/feedback", headers=me, json={"vote": "down"})
    assert down.status_code == 201
    votes = db.execute("SELECT job_id, named_cv_id FROM feedback ORDER BY job_id").fetchall()
    assert sorted(votes) == sorted([(liked, care), (disliked, backend)])  # default: active

    model = active_model(db)
    assert model is not None
    keys, _ = feedback_vectors(db, model.id, model.dimension, [backend, care])
    assert sorted(map(tuple, keys.tolist())) == [(backend, -1), (care, 1)]
    # A down vote hides the job from every list of the person.
    for cv_id in (backend, care):
        items = client.get(
            f"{API}/jobs/recommendations", headers=me, params={"cv_id": cv_id}
        ).json()["items"]
        assert disliked not in [item["job"]["id"] for item in items]


def test_a_named_cv_from_a_file(client: TestClient[Litestar]) -> None:
    me = _register(client, "file@example.com")
    upload = {"file": ("care.txt", CARE.encode(), "text/plain")}
    added = client.post(f"{API}/users/me/cvs", headers=me, data={"name": "care"}, files=upload)
    assert added.status_code == 201, added.text
    named = added.json()["named_cv"]
    assert (named["name"], named["active"]) == ("care", True)
    assert (named["current"]["filename"], named["current"]["text"]) == ("care.txt", CARE)
    nameless = client.post(f"{API}/users/me/cvs", headers=me, files=upload)
    assert nameless.status_code == 400
    assert "name" in nameless.json()["detail"]
    unreadable = {"file": ("cv.pdf", b"%PDF-1.4 not really", "application/pdf")}
    refused = client.post(f"{API}/users/me/cvs", headers=me, data={"name": "x"}, files=unreadable)
    assert refused.status_code == 415
    assert len(client.get(f"{API}/users/me/cvs", headers=me).json()["items"]) == 1
