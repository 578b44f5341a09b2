"""The HTTP API against a real database, without the worker: accounts, CVs, jobs, saved
jobs, applications, feedback, the recommendations envelope, admin auth and error bodies."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from schema.database import connect
from server.app import create_app
from tests.fakes import FakeEmbedder
from tests.integration.recommend_data import store_list
from workers.settings import Settings

API = "/api/v1"
ADMIN = "admin-secret-for-tests"


def insert_job(conn: psycopg.Connection[tuple[object, ...]], n: int, **over: object) -> int:
    """One job row written directly (the ingestion pipeline is tested on its own)."""
    values: dict[str, object] = {
        "source": "test",
        "source_id": f"job-{n}",
        "title": f"Python developer {n}",
        "company": f"Company {n % 4}",
        "location": "Berlin, Germany" if n % 2 else "Remote",
        "remote": n % 2 == 0,
        "description": f"Build APIs in Python and PostgreSQL. Posting number {n}.",
        "posted_at": datetime.now(UTC) - timedelta(hours=n),
        "salary_min": 50_000 + n * 1000,
        "tags": ["python", "postgres"],
    }
    values.update(over)
    values["content_hash"] = hashlib.sha256(repr(sorted(values.items())).encode()).digest()
    row = conn.execute(
        "INSERT INTO jobs (source, source_id, title, company, location, remote, description,"
        " posted_at, salary_min, tags, content_hash) VALUES (%(source)s, %(source_id)s,"
        " %(title)s, %(company)s, %(location)s, %(remote)s, %(description)s, %(posted_at)s,"
        " %(salary_min)s, %(tags)s, %(content_hash)s) RETURNING id",
        values,
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


@pytest.fixture
def db(db_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    conn = connect(db_url)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    settings = Settings(home=tmp_path, admin_token=ADMIN, cors_origins=("http://app.test",))
    app = create_app(settings, database_url=db_url, embedder=FakeEmbedder())
    with TestClient(app) as test_client:
        yield test_client


def register(client: TestClient[Litestar], email: str) -> dict[str, str]:
    response = client.post(f"{API}/users", json={"email": email, "name": "Test"})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_health_and_openapi(client: TestClient[Litestar]) -> None:
    assert client.get(f"{API}/health").json() == {"status": "ok", "database": "reachable"}
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert f"{API}/jobs/recommendations" in paths
    assert f"{API}/jobs/{{job_id}}" in paths


def test_register_me_and_an_existing_email(client: TestClient[Litestar]) -> None:
    headers = register(client, "ana@example.com")
    me = client.get(f"{API}/users/me", headers=headers).json()
    assert me["email"] == "ana@example.com"
    fresh = client.post(f"{API}/users", json={"email": "bo@example.com"})
    again = client.post(f"{API}/users", json={"email": "ANA@example.com"})
    # The same reply: sign-up does not tell whether an e-mail is registered.
    assert again.status_code == fresh.status_code == 201
    assert set(again.json()) == set(fresh.json()) == {"token", "detail"}
    assert again.json()["detail"] == fresh.json()["detail"]
    stranger = {"Authorization": f"Bearer {again.json()['token']}"}
    assert client.get(f"{API}/users/me", headers=stranger).status_code == 401
    assert client.get(f"{API}/users/me", headers=headers).json()["email"] == "ana@example.com"


@pytest.mark.parametrize(
    "body",
    [{"email": "not-an-email"}, {"name": "x"}, {"email": "a@b.c", "extra": 1}, [1, 2]],
)
def test_register_rejects_bad_bodies(client: TestClient[Litestar], body: object) -> None:
    response = client.post(f"{API}/users", json=body)
    assert response.status_code == 400
    assert set(response.json()) >= {"status_code", "detail"}


def test_tokens_are_required_and_checked(client: TestClient[Litestar]) -> None:
    missing = client.get(f"{API}/users/me")
    assert missing.status_code == 401
    assert "Bearer" in missing.json()["detail"]
    wrong = client.get(f"{API}/users/me", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.get(f"{API}/admin/status").status_code == 401
    user_headers = register(client, "u@example.com")
    assert client.get(f"{API}/admin/status", headers=user_headers).status_code == 401
    admin = client.get(f"{API}/admin/status", headers={"Authorization": f"Bearer {ADMIN}"})
    assert admin.status_code == 200
    assert admin.json()["counts"]["users"] == 1


def test_cv_text_replaces_and_bad_upload_keeps_previous(client: TestClient[Litestar]) -> None:
    headers = register(client, "cv@example.com")
    assert client.get(f"{API}/users/me/cv", headers=headers).status_code == 404
    first = client.put(f"{API}/users/me/cv", headers=headers, json={"text": "Python dev"})
    assert first.status_code == 200, first.text
    assert first.json()["recommendations"]["status"] in {"generating", "ready"}
    bad = client.put(
        f"{API}/users/me/cv",
        headers=headers,
        files={"file": ("cv.pdf", b"%PDF-1.4 garbage", "application/pdf")},
    )
    assert bad.status_code == 415
    assert "PDF" in bad.json()["detail"]
    wrong_type = client.put(
        f"{API}/users/me/cv", headers=headers, files={"file": ("cv.png", b"\x89PNG", "image/png")}
    )
    assert wrong_type.status_code == 415
    assert client.get(f"{API}/users/me/cv", headers=headers).json()["text"] == "Python dev"
    second = client.put(
        f"{API}/users/me/cv",
        headers=headers,
        files={"file": ("cv.md", b"# Data engineer\nSpark", "text/markdown")},
    )
    assert second.status_code == 200
    current = client.get(f"{API}/users/me/cv", headers=headers).json()
    assert current["filename"] == "cv.md"
    assert current["text"].startswith("# Data engineer")


def test_cv_too_large_is_413(client: TestClient[Litestar]) -> None:
    headers = register(client, "big@example.com")
    blob = b"a" * (5 * 1024 * 1024 + 10)
    response = client.put(
        f"{API}/users/me/cv", headers=headers, files={"file": ("cv.txt", blob, "text/plain")}
    )
    assert response.status_code == 413


def test_preferences_round_trip(client: TestClient[Litestar]) -> None:
    headers = register(client, "p@example.com")
    assert client.get(f"{API}/users/me/preferences", headers=headers).json()["remote_only"] is False
    body = {"locations": ["Berlin", " Berlin "], "remote_only": True, "min_salary": 60000}
    saved = client.put(f"{API}/users/me/preferences", headers=headers, json=body).json()
    assert saved["locations"] == ["Berlin"]
    assert client.get(f"{API}/users/me/preferences", headers=headers).json() == saved
    negative = client.put(f"{API}/users/me/preferences", headers=headers, json={"min_salary": -1})
    assert negative.status_code == 400


def test_job_list_filters_and_cursor(
    client: TestClient[Litestar], db: psycopg.Connection[tuple[object, ...]]
) -> None:
    ids = [insert_job(db, n) for n in range(1, 26)]
    headers = register(client, "jobs@example.com")
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 10}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"{API}/jobs", headers=headers, params=params).json()
        seen += [job["id"] for job in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids  # inserted newest first (posted n hours ago)
    remote = client.get(f"{API}/jobs", headers=headers, params={"remote": "true", "limit": 100})
    assert all(job["remote"] for job in remote.json()["items"])
    assert len(remote.json()["items"]) == 12
    berlin = client.get(f"{API}/jobs", headers=headers, params={"location": "berlin", "limit": 100})
    assert len(berlin.json()["items"]) == 13
    bad = client.get(f"{API}/jobs", headers=headers, params={"cursor": "!!!"})
    assert bad.status_code == 400
    one = client.get(f"{API}/jobs/{ids[0]}", headers=headers).json()
    assert one["description"].startswith("Build APIs")
    assert client.get(f"{API}/jobs/999999", headers=headers).status_code == 404
    assert client.get(f"{API}/jobs/abc", headers=headers).status_code in {400, 404}
    assert client.get(f"{API}/jobs/{2**70}", headers=headers).status_code in {400, 404}


def test_saved_applications_feedback_and_isolation(
    client: TestClient[Litestar], db: psycopg.Connection[tuple[object, ...]]
) -> None:
    job = insert_job(db, 1)
    other_job = insert_job(db, 2)
    alice = register(client, "alice@example.com")
    bob = register(client, "bob@example.com")
    assert client.post(f"{API}/jobs/{job}/save", headers=alice).status_code == 201
    assert client.post(f"{API}/jobs/999999/save", headers=alice).status_code == 404
    saved = client.get(f"{API}/users/me/saved-jobs", headers=alice).json()["items"]
    assert [s["job"]["id"] for s in saved] == [job]
    assert client.get(f"{API}/users/me/saved-jobs", headers=bob).json()["items"] == []
    assert client.delete(f"{API}/jobs/{job}/save", headers=bob).status_code == 404
    assert client.delete(f"{API}/jobs/{job}/save", headers=alice).status_code == 204
    applied = client.post(f"{API}/jobs/{job}/applications", headers=alice, json={"note": "hi"})
    assert applied.status_code == 201
    again = client.post(f"{API}/jobs/{job}/applications", headers=alice)
    assert again.status_code == 409
    assert client.post(f"{API}/jobs/{other_job}/applications", headers=alice).status_code == 201
    mine = client.get(f"{API}/users/me/applications", headers=alice).json()["items"]
    assert {a["job"]["id"] for a in mine} == {job, other_job}
    assert client.get(f"{API}/users/me/applications", headers=bob).json()["items"] == []
    vote = client.post(f"{API}/jobs/{job}/feedback", headers=alice, json={"vote": "sideways"})
    assert vote.status_code == 400
    down = client.post(f"{API}/jobs/{job}/feedback", headers=alice, json={"vote": "down"})
    assert down.status_code == 201
    assert down.json()["vote"] == "down"


def test_recommendations_envelope_states(
    client: TestClient[Litestar], db: psycopg.Connection[tuple[object, ...]]
) -> None:
    headers = register(client, "rec@example.com")
    no_cv = client.get(f"{API}/jobs/recommendations", headers=headers).json()
    assert no_cv["status"] == "no_cv"
    assert no_cv["items"] == []
    client.put(f"{API}/users/me/cv", headers=headers, json={"text": "Python developer"})
    user_id = client.get(f"{API}/users/me", headers=headers).json()["id"]
    jobs = [insert_job(db, n) for n in range(1, 8)]
    model_row = db.execute(
        "INSERT INTO embedding_models (name, dimension, is_active) VALUES ('m', 32, true)"
        " ON CONFLICT (name) WHERE is_current DO UPDATE SET is_active = true RETURNING id"
    ).fetchone()
    assert model_row is not None
    model_id, expires = int(str(model_row[0])), datetime.now(UTC) + timedelta(days=3)
    store_list(db, user_id, model_id, jobs, expires_at=expires)
    ready = client.get(f"{API}/jobs/recommendations", headers=headers).json()
    assert ready["status"] == "ready"
    assert [item["rank"] for item in ready["items"]] == list(range(1, 8))
    assert ready["items"][0]["match_reason"] == (
        "Similar in meaning to your CV overall, with no exact terms in common · Remote"
    )
    assert ready["total"] == len(jobs)
    remote_only = client.get(
        f"{API}/jobs/recommendations", headers=headers, params={"remote": "true"}
    ).json()
    assert all(item["job"]["remote"] for item in remote_only["items"])
    client.post(f"{API}/jobs/{jobs[0]}/feedback", headers=headers, json={"vote": "down"})
    after = client.get(f"{API}/jobs/recommendations", headers=headers).json()
    assert [item["job"]["id"] for item in after["items"]] == jobs[1:]
    assert [item["rank"] for item in after["items"]] == list(range(1, len(jobs)))
    assert after["total"] == len(jobs) - 1
    other = register(client, "other@example.com")
    assert client.get(f"{API}/jobs/recommendations", headers=other).json()["status"] == "no_cv"
    db.execute(
        "UPDATE recommendation_lists SET expires_at = now() - interval '1 second'"
        " WHERE user_id = %(u)s",
        {"u": user_id},
    )
    expired = client.get(f"{API}/jobs/recommendations", headers=headers).json()
    assert expired["status"] == "generating"
    assert expired["items"] == []


def test_recommendation_pages_rank_before_filters_and_close_up(
    client: TestClient[Litestar], db: psycopg.Connection[tuple[object, ...]]
) -> None:
    headers = register(client, "pages@example.com")
    client.put(f"{API}/users/me/cv", headers=headers, json={"text": "Python developer"})
    user_id = client.get(f"{API}/users/me", headers=headers).json()["id"]
    jobs = [insert_job(db, n) for n in range(101, 108)]  # even n remote, odd n in Berlin
    model_row = db.execute(
        "INSERT INTO embedding_models (name, dimension, is_active) VALUES ('m', 32, true)"
        " ON CONFLICT (name) WHERE is_current DO UPDATE SET is_active = true RETURNING id"
    ).fetchone()
    assert model_row is not None
    expires = datetime.now(UTC) + timedelta(days=3)
    store_list(db, user_id, int(str(model_row[0])), jobs, expires_at=expires)
    db.execute("DELETE FROM jobs WHERE id = %(id)s", {"id": jobs[1]})  # rank 2 closes up

    def page(**params: str | int) -> list[tuple[int, int]]:
        body = client.get(f"{API}/jobs/recommendations", headers=headers, params=params).json()
        assert all(item["match_reason"] for item in body["items"])
        return [(item["rank"], item["job"]["id"]) for item in body["items"]]

    assert page(offset=1, limit=2) == [(2, jobs[2]), (3, jobs[3])]
    # Filters keep the ranks of the whole list.
    assert page(remote="true") == [(3, jobs[3]), (5, jobs[5])]
    assert page(location="berlin", offset=1) == [(2, jobs[2]), (4, jobs[4]), (6, jobs[6])]


def test_unknown_routes_and_methods_are_json(client: TestClient[Litestar]) -> None:
    missing = client.get(f"{API}/nowhere")
    assert missing.status_code == 404
    assert missing.json()["status_code"] == 404
    wrong = client.delete(f"{API}/health")
    assert wrong.status_code == 405


def test_cors_preflight(client: TestClient[Litestar]) -> None:
    response = client.options(
        f"{API}/health",
        headers={"Origin": "http://app.test", "Access-Control-Request-Method": "GET"},
    )
    assert response.headers.get("access-control-allow-origin") == "http://app.test"


def test_search_falls_back_to_full_text_before_any_vectors(
    client: TestClient[Litestar], db: psycopg.Connection[tuple[object, ...]]
) -> None:
    insert_job(db, 1, title="Registered nurse", description="Care for patients on a ward.")
    insert_job(db, 2)
    headers = register(client, "search@example.com")
    found = client.get(f"{API}/jobs/search", headers=headers, params={"q": "nurse patients"})
    assert found.status_code == 200, found.text
    assert found.json()["mode"] == "full_text"
    assert [hit["job"]["title"] for hit in found.json()["items"]] == ["Registered nurse"]
    assert client.get(f"{API}/jobs/search", headers=headers).status_code == 400
