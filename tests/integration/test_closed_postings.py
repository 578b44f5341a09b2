"""Closed postings end to end on a real PostgreSQL and a real local job site: the check
of the jobs in users' top places, closed jobs leaving every list at once and never
picked again, unknowns never closed, an applied-to job kept through cleanup, and the
CLI's `check-closed` and `status`, and the daily task."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from litestar.testing import TestClient

from schema.database import Connection
from schema.queries.applications import applications
from schema.queries.job_listing import JobFilters, list_jobs
from schema.queries.list_pages import read_list
from schema.queries.search import SearchFilters, search_jobs
from server.app import create_app
from server.cli.main import main
from tests.fakes import FakeEmbedder, immediate_tasks
from tests.integration.recommend_data import add_job, add_model, add_user, store_list, unit
from tests.posting_server import PostingSite, posting_site
from workers.pipelines.check_closed import check_closed
from workers.pipelines.cleanup import cleanup
from workers.pipelines.recommend import generate_for_user
from workers.settings import PostingCheck, Settings

API = "/api/v1"
DIM = 8
CONFIG = PostingCheck(host_interval_s=0.05, timeout_s=1.0, max_body_bytes=100_000)


@pytest.fixture
def site() -> Iterator[PostingSite]:
    with posting_site(slow_s=5.0) as running:
        yield running


def _job(conn: Connection, model: int, vector: np.ndarray, url: str, days_ago: float = 1) -> int:
    job = add_job(conn, model, vector, posted_days_ago=days_ago)
    conn.execute("UPDATE jobs SET url = %s WHERE id = %s", (url, job))
    return job


def _listed(conn: Connection, user: int) -> list[int]:
    page = json.loads(read_list(conn, user).items)
    return [item["job"]["id"] for item in page]


def _closed(conn: Connection) -> set[int]:
    rows = conn.execute("SELECT id FROM jobs WHERE closed_at IS NOT NULL").fetchall()
    return {int(str(row[0])) for row in rows}


def test_closed_jobs_leave_lists_at_once_and_unknowns_stay(
    db_url: str, conn: Connection, site: PostingSite
) -> None:
    model = add_model(conn)
    rng = np.random.default_rng(7)
    urls = {
        "open": site.url("open", "a1"),
        "gone": site.url("gone404", "b2"),
        "moved": site.url("to-search", "c3"),
        "slow": site.url("slow", "d4"),
        "broken": site.url("broken", "e5"),
    }
    jobs = {name: _job(conn, model, rng.normal(size=DIM), url) for name, url in urls.items()}
    # Beyond everyone's top 10: never asked.
    tail = [_job(conn, model, rng.normal(size=DIM), site.url("gone410", f"t{n}")) for n in range(8)]
    user = add_user(conn, model, unit(np.ones(DIM)))
    order = [jobs["gone"], jobs["open"], jobs["moved"], jobs["slow"], jobs["broken"], *tail]
    store_list(conn, user, model, order, expires_at=datetime.now(UTC) + timedelta(days=1))
    assert _listed(conn, user) == order

    summary = check_closed(db_url, CONFIG)

    assert summary.checked == 10  # the five, and the first five of the tail
    assert summary.closed_jobs == 2 + 5
    assert _closed(conn) == {jobs["gone"], jobs["moved"], *tail[:5]}
    # Gone from the list at the next read, the ranks closing up; timeouts and 5xx stay.
    assert _listed(conn, user) == [jobs["open"], jobs["slow"], jobs["broken"], *tail[5:]]
    ranks = conn.execute(
        "SELECT job_id, rank FROM job_recommendations WHERE user_id = %s ORDER BY rank", (user,)
    ).fetchall()
    assert [int(str(rank)) for _, rank in ranks] == list(range(1, 7))
    rows = conn.execute(
        "SELECT job_id, outcome FROM job_checks WHERE job_id = ANY(%s)", (list(jobs.values()),)
    ).fetchall()
    recorded = {int(str(job)): str(outcome) for job, outcome in rows}
    assert recorded == {
        jobs["open"]: "open",
        jobs["gone"]: "closed",
        jobs["moved"]: "closed",
        jobs["slow"]: "unknown",
        jobs["broken"]: "unknown",
    }
    listed_ids = {job.id for job in list_jobs(conn, JobFilters(), after=None, limit=100)}
    assert jobs["gone"] not in listed_ids
    assert jobs["open"] in listed_ids
    # Search, by meaning and by words: every job is an "Engineer" with a vector.
    search = search_jobs(
        conn,
        model_id=model,
        dimension=DIM,
        query_vector=unit(np.ones(DIM)),
        query_text="engineer",
        filters=SearchFilters(),
        limit=100,
    )
    found = {hit.job_id for hit in search}
    assert jobs["open"] in found
    assert not found & _closed(conn)

    # The next run asks only the jobs that moved up into the top 10 (the tail's last
    # three); what was checked within the day is not asked again.
    hits = len(site.hits)
    again = check_closed(db_url, CONFIG)
    assert (again.checked, again.closed_jobs) == (3, 3)
    assert {hit.path for hit in site.hits[hits:]} == {f"/gone410/t{n}" for n in (5, 6, 7)}
    hits = len(site.hits)
    assert check_closed(db_url, CONFIG).checked == 0
    assert len(site.hits) == hits


def test_a_closed_job_is_not_recommended_again(
    db_url: str, conn: Connection, site: PostingSite
) -> None:
    model = add_model(conn)
    query = unit(np.arange(1, DIM + 1))
    best = _job(conn, model, query, site.url("gone410", "best"))
    others = [_job(conn, model, query + n / 10, site.url("open", f"o{n}")) for n in range(1, 12)]
    user = add_user(conn, model, query)
    generate_for_user(db_url, user)
    assert _listed(conn, user)[0] == best

    check_closed(db_url, CONFIG)
    generate_for_user(db_url, user)

    listed = _listed(conn, user)
    assert best not in listed
    assert set(listed) == set(others)
    stored = conn.execute("SELECT job_ids FROM recommendation_lists WHERE user_id = %s", (user,))
    row = stored.fetchone()
    assert row is not None
    assert best not in list(row[0])  # type: ignore[call-overload]


def test_an_applied_to_closed_job_survives_cleanup_marked_closed(
    db_url: str, conn: Connection, site: PostingSite
) -> None:
    model = add_model(conn)
    vector = unit(np.ones(DIM))
    applied = _job(conn, model, vector, site.url("gone404", "applied"), days_ago=9)
    unwanted = _job(conn, model, vector, site.url("gone404", "unwanted"), days_ago=9)
    user = add_user(conn, model, vector)
    other = add_user(conn, model, vector)
    conn.execute("INSERT INTO applications (user_id, job_id) VALUES (%s, %s)", (user, applied))
    store_list(conn, other, model, [applied, unwanted], expires_at=datetime.now(UTC) + timedelta(1))

    assert check_closed(db_url, CONFIG).closed_jobs == 2
    cleanup(db_url)

    assert _closed(conn) == {applied}  # kept, marked closed; the other one went
    shown = applications(conn, user, limit=10, offset=0)  # what the user's list shows
    assert [(row.id, row.job_closed_at is not None) for row in shown] == [(applied, True)]


@pytest.fixture
def cli_env(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shared command environment, checking fast (a local site answers at once)."""
    monkeypatch.setenv("JOBMATCH_CHECK_HOST_INTERVAL", "0.05")
    monkeypatch.setenv("JOBMATCH_CHECK_TIMEOUT", "1")
    return cli_env


def test_the_cli_checks_and_status_shows_the_counts(
    cli_env: str, conn: Connection, site: PostingSite, capsys: pytest.CaptureFixture[str]
) -> None:
    model = add_model(conn)
    vector = unit(np.ones(DIM))
    kinds = ["open", "gone404", "broken"]
    jobs = [_job(conn, model, vector, site.url(kind, f"cli{n}")) for n, kind in enumerate(kinds)]
    user = add_user(conn, model, vector)
    store_list(conn, user, model, jobs, expires_at=datetime.now(UTC) + timedelta(days=1))

    assert main(["check-closed", "--limit", "2", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["checked"] == 2
    assert main(["check-closed"]) == 0
    assert "checked 1 posting(s)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:  # argparse's one-line usage error
        main(["check-closed", "--limit", "0"])
    assert refused.value.code == 2
    assert "must be a positive whole number" in capsys.readouterr().err

    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    checks = status["posting_checks"]
    assert checks["checks"] == {"open": 1, "closed": 1, "unknown": 1}
    assert checks["last_day"] == {"open": 1, "closed": 1, "unknown": 1}
    assert checks["closed_jobs"] == 1
    runs = conn.execute("SELECT count(*) FROM task_runs WHERE task = 'check_closed'").fetchone()
    assert runs == (2,)
    assert main(["status"]) == 0
    assert "jobs marked closed: 1" in capsys.readouterr().out


def test_the_daily_task_checks_and_is_recorded(
    db_url: str, conn: Connection, site: PostingSite, tmp_path: Path
) -> None:
    model = add_model(conn)
    vector = unit(np.ones(DIM))
    jobs = [_job(conn, model, vector, site.url(kind, "task")) for kind in ("open", "gone410")]
    user = add_user(conn, model, vector)
    store_list(conn, user, model, jobs, expires_at=datetime.now(UTC) + timedelta(days=1))
    tasks = immediate_tasks(db_url, tmp_path, posting_check=CONFIG)
    try:
        tasks.check_closed()
    finally:
        tasks.huey.storage.close()
    assert _closed(conn) == {jobs[1]}
    row = conn.execute(
        "SELECT status, counts FROM task_runs WHERE task = 'check_closed'"
    ).fetchone()
    assert row is not None
    assert row[0] == "succeeded"
    assert row[1] == {"checked": 2, "open": 1, "closed": 1, "unknown": 0, "newly_closed": 1}


def test_the_api_shows_a_closed_application_and_the_counts(
    db_url: str, conn: Connection, site: PostingSite, tmp_path: Path
) -> None:
    model = add_model(conn)
    vector = unit(np.ones(DIM))
    job = _job(conn, model, vector, site.url("gone404", "api"))
    lister = add_user(conn, model, vector)
    store_list(conn, lister, model, [job], expires_at=datetime.now(UTC) + timedelta(days=1))
    settings = Settings(home=tmp_path, admin_token="admin-secret")
    app = create_app(settings, database_url=db_url, embedder=FakeEmbedder())
    with TestClient(app) as client:
        token = client.post(f"{API}/users", json={"email": "ann@example.com"}).json()["token"]
        ann = {"Authorization": f"Bearer {token}"}
        assert client.post(f"{API}/jobs/{job}/applications", headers=ann).status_code == 201

        check_closed(db_url, CONFIG)

        mine = client.get(f"{API}/users/me/applications", headers=ann).json()["items"]
        assert [item["job"]["id"] for item in mine] == [job]
        assert mine[0]["job_closed_at"] is not None
        listed = client.get(f"{API}/jobs", headers=ann).json()["items"]
        assert job not in [item["id"] for item in listed]
        admin = {"Authorization": "Bearer admin-secret"}
        checks = client.get(f"{API}/admin/status", headers=admin).json()["posting_checks"]
        assert (checks["closed_jobs"], checks["checks"]["closed"]) == (1, 1)


def test_the_job_and_saved_jobs_say_when_a_posting_closed(
    db_url: str, conn: Connection, site: PostingSite, tmp_path: Path
) -> None:
    model = add_model(conn)
    vector = unit(np.ones(DIM))
    gone = _job(conn, model, vector, site.url("gone410", "saved"))
    still = _job(conn, model, vector, site.url("open", "saved"))
    lister = add_user(conn, model, vector)
    store_list(conn, lister, model, [gone, still], expires_at=datetime.now(UTC) + timedelta(1))
    app = create_app(Settings(home=tmp_path), database_url=db_url, embedder=FakeEmbedder())
    with TestClient(app) as client:
        token = client.post(f"{API}/users", json={"email": "bo@example.com"}).json()["token"]
        bo = {"Authorization": f"Bearer {token}"}
        for job in (gone, still):
            assert client.post(f"{API}/jobs/{job}/save", headers=bo).status_code == 201
        assert client.get(f"{API}/jobs/{gone}", headers=bo).json()["closed_at"] is None

        check_closed(db_url, CONFIG)

        closed_at = _closed_at(conn, gone)
        detail = client.get(f"{API}/jobs/{gone}", headers=bo).json()
        assert datetime.fromisoformat(detail["closed_at"]) == closed_at
        assert client.get(f"{API}/jobs/{still}", headers=bo).json()["closed_at"] is None
        saved = client.get(f"{API}/users/me/saved-jobs", headers=bo).json()["items"]
        marks = {item["job"]["id"]: item["job_closed_at"] for item in saved}
        assert marks.keys() == {gone, still}  # a closed saved job stays, marked
        assert datetime.fromisoformat(marks[gone]) == closed_at
        assert marks[still] is None


def _closed_at(conn: Connection, job: int) -> datetime:
    row = conn.execute("SELECT closed_at FROM jobs WHERE id = %s", (job,)).fetchone()
    assert row is not None
    assert isinstance(row[0], datetime)
    return row[0]
