"""The product as a frontend drives it, through the real app, database, worker tasks (Huey
in immediate mode) and the real embedding model: register, CVs as text and PDF, import
jobs, embed, generate, read 50 sorted recommendations with reasons, search, save, apply,
vote down, regenerate, clean up — and a second user sees none of the first's data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from schema.database import connect
from server.app import create_app
from tests.unit.test_uploads import make_pdf
from workers.settings import Settings

pytestmark = pytest.mark.slow
API = "/api/v1"
ADMIN = "e2e-admin-token"

ROLES = [
    (
        "Backend Engineer (Python)",
        "Software",
        "Build REST APIs in Python with Django and "
        "PostgreSQL, write tests, run services on AWS with Docker.",
        ["python", "postgresql"],
    ),
    (
        "Frontend Developer",
        "Software",
        "Build React and TypeScript interfaces, accessible "
        "components, design systems and browser performance.",
        ["react", "typescript"],
    ),
    (
        "Data Analyst",
        "Data",
        "Write SQL, build Tableau dashboards, analyse sales and stock "
        "data, present findings to managers.",
        ["sql", "tableau"],
    ),
    (
        "Registered Nurse",
        "Healthcare",
        "Care for patients on a surgical ward, administer "
        "medication, monitor recovery, work with doctors.",
        ["nursing"],
    ),
    (
        "Sales Executive",
        "Sales",
        "Sell software to retailers, run demos, negotiate "
        "contracts, keep the CRM up to date, meet quarterly targets.",
        ["sales", "crm"],
    ),
    (
        "Accountant",
        "Finance",
        "Prepare VAT returns, run payroll, reconcile bank accounts "
        "and close the books every month.",
        ["accounting"],
    ),
]
PLACES = ["Berlin, Germany", "Remote", "London, United Kingdom", "Lisbon, Portugal"]
BACKEND_CV = (
    "Backend engineer, six years of Python. Built Django REST APIs and FastAPI services on "
    "PostgreSQL; Celery queues on AWS; Docker, Terraform, pytest; tuned slow SQL queries."
)
ANALYST_CV = [
    "Data analyst with four years in retail.",
    "SQL against BigQuery, Tableau dashboards for store managers,",
    "Excel forecasting and presenting findings to leadership.",
]


def write_jobs(path: Path, now: datetime) -> int:
    """A JSONL file of jobs across 6 fields and 30 companies, posted in the last 3 days."""
    lines = []
    for n in range(90):
        title, category, description, tags = ROLES[n % len(ROLES)]
        lines.append(
            json.dumps(
                {
                    "source": "e2e",
                    "source_id": f"e2e-{n}",
                    "title": f"{title} {n}",
                    "company": f"Company {n % 30}",
                    "location": PLACES[n % len(PLACES)],
                    "remote": PLACES[n % len(PLACES)] == "Remote",
                    "tags": tags,
                    "category": category,
                    "description": f"{description} Team {n}.",
                    "url": f"https://jobs.example.org/{n}",
                    "posted_at": (now - timedelta(hours=n % 70)).isoformat(),
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """The API with tasks run inside the request that queues them (immediate mode)."""
    settings = Settings(home=tmp_path, admin_token=ADMIN, queue_url="immediate")
    with TestClient(create_app(settings, database_url=db_url)) as test_client:
        yield test_client


def register(client: TestClient[Any], email: str) -> dict[str, str]:
    response = client.post(f"{API}/users", json={"email": email, "name": email.partition("@")[0]})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def recommendations(client: TestClient[Any], headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(f"{API}/jobs/recommendations", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_whole_product_through_the_api(
    client: TestClient[Any], db_url: str, tmp_path: Path
) -> None:
    from workers.pipelines.ingest import import_file

    admin = {"Authorization": f"Bearer {ADMIN}"}
    alice = register(client, "alice@example.com")
    bob = register(client, "bob@example.com")
    assert recommendations(client, alice)["status"] == "no_cv"

    jobs_file = tmp_path / "jobs.jsonl"
    count = write_jobs(jobs_file, datetime.now(UTC))
    assert import_file(db_url, jobs_file).new == count
    embedded = client.post(f"{API}/admin/embed", headers=admin)
    assert embedded.status_code == 202
    assert embedded.json()["queued"] is True

    uploaded = client.put(f"{API}/users/me/cv", headers=alice, json={"text": BACKEND_CV})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["recommendations"]["status"] == "ready"
    listed = recommendations(client, alice)
    assert listed["status"] == "ready"
    assert listed["model"]
    items = listed["items"]
    assert len(items) == 50
    assert [item["rank"] for item in items] == list(range(1, 51))
    scores = [item["match_score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    assert all(item["match_reason"].strip() for item in items)
    assert "Backend Engineer" in items[0]["job"]["title"]

    pdf = make_pdf(ANALYST_CV)
    bob_cv = client.put(
        f"{API}/users/me/cv", headers=bob, files={"file": ("cv.pdf", pdf, "application/pdf")}
    )
    assert bob_cv.status_code == 200, bob_cv.text
    assert "Tableau" in client.get(f"{API}/users/me/cv", headers=bob).json()["text"]
    bob_items = recommendations(client, bob)["items"]
    assert "Data Analyst" in bob_items[0]["job"]["title"]

    check_search(client, alice)

    top, second, third = (items[i]["job"]["id"] for i in range(3))
    assert client.post(f"{API}/jobs/{second}/save", headers=alice).status_code == 201
    assert client.post(f"{API}/jobs/{third}/applications", headers=alice).status_code == 201
    assert client.post(f"{API}/jobs/{third}/applications", headers=alice).status_code == 409
    down = client.post(f"{API}/jobs/{top}/feedback", headers=alice, json={"vote": "down"})
    assert down.status_code == 201
    assert top not in [item["job"]["id"] for item in recommendations(client, alice)["items"]]

    regenerated = client.post(f"{API}/jobs/recommendations/generate", headers=alice)
    assert regenerated.status_code == 202
    fresh = recommendations(client, alice)
    fresh_ids = [item["job"]["id"] for item in fresh["items"]]
    assert fresh["status"] == "ready"
    assert len(fresh_ids) == 50
    assert top not in fresh_ids  # voted down
    assert third not in fresh_ids  # applied to

    check_isolation(client, alice, bob, saved=second, applied=third)
    check_cleanup(client, db_url, alice, admin, saved=second, applied=third)


def check_search(client: TestClient[Any], headers: dict[str, str]) -> None:
    """Hybrid search with the real model finds the obviously matching posting first."""
    found = client.get(f"{API}/jobs/search", headers=headers, params={"q": "ward nurse patients"})
    assert found.status_code == 200, found.text
    assert found.json()["mode"] == "hybrid"
    assert "Nurse" in found.json()["items"][0]["job"]["title"]


def check_isolation(
    client: TestClient[Any],
    alice: dict[str, str],
    bob: dict[str, str],
    *,
    saved: int,
    applied: int,
) -> None:
    """Bob sees nothing of Alice's, and cannot touch it."""
    assert client.get(f"{API}/users/me/saved-jobs", headers=bob).json()["items"] == []
    assert client.get(f"{API}/users/me/applications", headers=bob).json()["items"] == []
    assert client.delete(f"{API}/jobs/{saved}/save", headers=bob).status_code == 404
    assert "Tableau" in client.get(f"{API}/users/me/cv", headers=bob).json()["text"]
    bob_ids = {i["job"]["id"] for i in recommendations(client, bob)["items"]}
    alice_ids = {i["job"]["id"] for i in recommendations(client, alice)["items"]}
    assert bob_ids != alice_ids
    mine = client.get(f"{API}/users/me/applications", headers=alice).json()["items"]
    assert [a["job"]["id"] for a in mine] == [applied]


def check_cleanup(
    client: TestClient[Any],
    db_url: str,
    alice: dict[str, str],
    admin: dict[str, str],
    *,
    saved: int,
    applied: int,
) -> None:
    """Old jobs go unless someone applied; a saved job older than 10 days goes too."""
    with connect(db_url) as conn:
        conn.execute(
            "UPDATE jobs SET posted_at = now() - interval '30 days' WHERE id = ANY(%(ids)s)",
            {"ids": [saved, applied]},
        )
        conn.execute("UPDATE saved_jobs SET saved_at = now() - interval '11 days'")
    assert client.post(f"{API}/admin/cleanup", headers=admin).status_code == 202
    assert client.get(f"{API}/jobs/{saved}", headers=alice).status_code == 404
    assert client.get(f"{API}/jobs/{applied}", headers=alice).status_code == 200
    assert client.get(f"{API}/users/me/saved-jobs", headers=alice).json()["items"] == []
    status = client.get(f"{API}/admin/status", headers=admin).json()
    finished = {run["task"]: run["status"] for run in status["last_runs"]}
    for task in ("embed_all", "process_new_cv", "cleanup_all"):
        assert finished.get(task) == "succeeded", status["last_runs"]
    assert status["active_model"] == listed_model(client, alice)


def listed_model(client: TestClient[Any], headers: dict[str, str]) -> str:
    model: str = recommendations(client, headers)["model"]
    return model
