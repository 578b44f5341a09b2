"""`match_parts` beside `match_reason` in `GET /jobs/recommendations`: made by the nightly
pipeline, read in the page's one query, agreeing with the sentence; the most specific
shared term first; awkward CVs and jobs degrade gracefully."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from embeddings.quotes import ELLIPSIS
from embeddings.reasons import TextProfile, profile_cv, profile_job
from schema.database import Connection, connect
from schema.migrate import available_migrations
from schema.queries.users import issue_token
from server.app import create_app
from tests.fakes import FakeEmbedder
from tests.integration.recommend_data import add_job, add_model, add_user, unit
from tests.integration.test_reasons import Parts, assert_agree, evidence_for, reason_arguments
from workers.pipelines.recommend import generate
from workers.pipelines.text_profiles import profile_pending
from workers.settings import Settings

API = "/api/v1"
DIM = 8
PLATFORM = (
    "You will run our Kubernetes clusters, design internal APIs and share the on-call "
    "management with a small group of engineers across Berlin and Lisbon."
)
CV = (
    "Platform engineer. Seven years of experience running production Kubernetes clusters, "
    "designing an internal API gateway, and taking part in incident management.\n"
    "Python, Go, Terraform"
)


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    app = create_app(Settings(home=tmp_path), database_url=db_url, embedder=FakeEmbedder())
    with TestClient(app) as test_client:
        yield test_client


def _vector(seed: int) -> np.ndarray:
    return unit(np.random.default_rng(seed).normal(size=DIM))


def _items(client: TestClient[Litestar], conn: Connection, user: int) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {issue_token(conn, user)}"}
    body = client.get(f"{API}/jobs/recommendations", headers=headers).json()
    assert body["status"] == "ready", body
    items: list[dict[str, Any]] = body["items"]
    for item in items:
        assert_agree(item["match_reason"], Parts(**item["match_parts"]), None)
    return items


def _catalog(conn: Connection, model: int) -> dict[str, int]:
    """A platform job, 40 jobs that all name "management", a job with no description
    and one with nothing in common with the CV; by name."""
    jobs = {
        "platform": add_job(
            conn,
            model,
            _vector(1),
            title="Platform Engineers",
            tags=["management", "kubernetes"],
            description=PLATFORM,
        ),
        "empty": add_job(conn, model, _vector(2), title="Python developer", description=""),
        "welder": add_job(conn, model, _vector(3), title="Welder", description="Steel, TIG."),
    }
    for n in range(40):
        jobs[f"manager {n}"] = add_job(
            conn,
            model,
            _vector(10 + n),
            title=f"Store manager {n}",
            tags=["management"],
            description="Management of a store and its stock.",
        )
    return jobs


def test_match_parts_agree_with_the_sentence(
    client: TestClient[Litestar], db_url: str, conn: Connection
) -> None:
    model = add_model(conn, dimension=DIM)
    jobs = _catalog(conn, model)
    user = add_user(conn, model, _vector(1), cv=CV)
    generate(db_url)
    items = {item["job"]["id"]: item for item in _items(client, conn, user)}
    assert len(items) == len(jobs)

    platform = items[jobs["platform"]]["match_parts"]
    # "management" is the job's first tag, but 41 of 43 jobs name it: it comes after the
    # four rarer terms named. "Engineers" is the job's plural of the CV's "engineer".
    assert platform["shared_skills"] == ["Kubernetes", "Platform", "Engineers", "clusters"]
    assert platform["cv_quote"] == (
        f"{ELLIPSIS}running production Kubernetes clusters, designing an internal API"
        f" gateway, and{ELLIPSIS}"
    )
    assert platform["job_quote"] == (
        "You will run our Kubernetes clusters, design internal APIs and share the on-call"
        f"{ELLIPSIS}"
    )
    assert items[jobs["empty"]]["match_parts"] == {
        "shared_skills": ["Python"],
        "cv_quote": "Python, Go, Terraform",
        "job_quote": "Python developer",
    }
    assert items[jobs["welder"]]["match_parts"] == {
        "shared_skills": [],
        "cv_quote": None,
        "job_quote": None,
    }


def test_a_profile_made_again_since_the_run_empties_the_parts(
    client: TestClient[Litestar], db_url: str, conn: Connection
) -> None:
    model = add_model(conn, dimension=DIM)
    jobs = _catalog(conn, model)
    user = add_user(conn, model, _vector(1), cv=CV)
    generate(db_url)
    conn.execute(
        "UPDATE jobs SET title = 'Go developer', tags = '{go}', description = 'Go services.',"
        " content_hash = '\\xff' WHERE id = %(id)s",
        {"id": jobs["platform"]},
    )
    profile_pending(conn)
    item = next(i for i in _items(client, conn, user) if i["job"]["id"] == jobs["platform"])
    assert item["match_reason"] == "Similar in meaning to your CV overall"
    assert item["match_parts"] == {"shared_skills": [], "cv_quote": None, "job_quote": None}


@pytest.mark.parametrize(
    "cv",
    [
        "Python",
        "私はPythonとKubernetesの経験が五年あります。",
        "私はソフトウェアエンジニアです。",
        "Ingeniera de software: sistemas distribuidos, gestión de equipos.",
        "🚀",
    ],
)
def test_awkward_cvs_get_parts_without_error(
    client: TestClient[Litestar], db_url: str, conn: Connection, cv: str
) -> None:
    model = add_model(conn, dimension=DIM)
    jobs = _catalog(conn, model)
    user = add_user(conn, model, _vector(1), cv=cv)
    generate(db_url)
    items = _items(client, conn, user)
    assert len(items) == len(jobs)
    named = {skill for item in items for skill in item["match_parts"]["shared_skills"]}
    assert named <= {"Python", "Kubernetes"}


def test_the_openapi_schema_describes_match_parts(client: TestClient[Litestar]) -> None:
    schemas = client.get("/schema/openapi.json").json()["components"]["schemas"]
    recommendation = next(s for name, s in schemas.items() if name.endswith("Recommendation"))
    assert "match_parts" in recommendation["required"]
    assert "match_reason" in recommendation["required"]
    parts = next(s for name, s in schemas.items() if name.endswith("MatchParts"))
    assert set(parts["properties"]) == {"shared_skills", "cv_quote", "job_quote"}
    assert parts["properties"]["shared_skills"]["type"] == "array"


def test_sentences_read_the_same_before_and_after_migration_013(empty_db_url: str) -> None:
    """013 re-creates `jobmatch_reason` from the parts: every sentence stays as 008 wrote
    it (shared terms, nothing shared, a stale profile, a missing one; with and without a
    fit)."""
    cv = profile_cv(CV)
    job = profile_job("Platform Engineers", ["management", "kubernetes"], PLATFORM)
    other = profile_job("Welder", [], "Steel, TIG.")
    stale = profile_job("Go developer", ["go"], "Go services.")
    cases = [
        (evidence_for(cv, job), job, cv),
        (evidence_for(cv, other), other, cv),
        (evidence_for(cv, job), stale, cv),  # the job's profile made again since the run
        (evidence_for(cv, job), job, profile_cv("Go")),  # and the CV's
    ]
    names = [m.name for m in available_migrations()]
    cut = names.index("013_reason_parts.sql")
    with connect(empty_db_url, vectors=False) as conn:
        conn.autocommit = True
        for migration in available_migrations()[:cut]:
            conn.execute(migration.sql.encode())
        before = _sentences(conn, cases)
        for migration in available_migrations()[cut:]:
            conn.execute(migration.sql.encode())
        after = _sentences(conn, cases)
    assert after == before
    assert before[0].startswith("You share management, Kubernetes")
    assert {before[2], before[3]} == {"Similar in meaning to your CV overall · Remote"}


def _sentences(conn: Connection, cases: list[tuple[int, TextProfile, TextProfile]]) -> list[str]:
    said = []
    for evidence, job, cv in cases:
        for fit, job_profile in (("remote", job), (None, job), (None, None)):
            row = conn.execute(
                "SELECT jobmatch_reason(%(e)s, %(fit)s, %(jk)s, %(shown)s, %(jq)s, %(js)s,"
                " %(je)s, %(ck)s, %(cq)s, %(cs)s, %(ce)s)",
                reason_arguments(evidence, job_profile or job, cv)
                | {"fit": fit}
                | ({} if job_profile else {"jk": None, "shown": None}),
            ).fetchone()
            assert row is not None
            said.append(str(row[0]))
    return said[::3] + said[1::3] + said[2::3]
