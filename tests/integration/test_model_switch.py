"""A second model is embedded into a shadow set; users see no change until it is activated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from embeddings.text import TextOptions
from schema.database import Connection, connection
from schema.queries.cvs import replace_active_cv
from schema.queries.jobs import JobRecord, upsert_jobs
from schema.queries.model_sets import coverage, remove_model
from schema.queries.models import activate_model, active_model, model_by_name
from schema.queries.users import create_user
from tests.fakes import FakeEmbedder
from workers.pipelines.embed import embed_pending
from workers.pipelines.recommend import generate
from workers.pipelines.serving import ServingModel, serving_model

FIELDS = ["python backend", "java spring", "nurse hospital", "sales account", "react frontend"]


def _seed(conn: Connection) -> None:
    now = datetime.now(UTC)
    jobs = [
        JobRecord(
            source="test",
            source_id=f"{n}",
            title=f"{FIELDS[n % 5]} role {n}",
            company=f"Company {n}",
            location="Berlin",
            remote=n % 2 == 0,
            salary_min=None,
            salary_max=None,
            salary_currency=None,
            tags=tuple(FIELDS[n % 5].split()),
            category=None,
            description=f"We need {FIELDS[n % 5]} experience, team {n}.",
            url=f"https://jobs.example.com/{n}",
            posted_at=now - timedelta(hours=n),
        )
        for n in range(30)
    ]
    upsert_jobs(conn, jobs)
    for n, field in enumerate(FIELDS[:3]):
        user = create_user(conn, f"user{n}@example.com")
        assert user is not None
        replace_active_cv(conn, user.id, f"Five years of {field} work.")


def _what_users_see(conn: Connection) -> list[tuple[object, ...]]:
    return conn.execute(
        "SELECT user_id, rank, job_id, model_id, score, generated_at FROM job_recommendations"
        " ORDER BY user_id, rank"
    ).fetchall()


def test_shadow_model_changes_nothing_until_activated(db_url: str, conn: Connection) -> None:
    _seed(conn)
    first, second = FakeEmbedder("fake-a", 32), FakeEmbedder("fake-b", 48)
    assert embed_pending(db_url, first).activated
    generate(db_url)
    before = _what_users_see(conn)
    assert len(before) == 3 * 30  # every job is a candidate; fewer than 50 exist

    shadow = embed_pending(db_url, second)
    assert not shadow.activated
    assert shadow.jobs_embedded == 30
    assert shadow.cvs_embedded == 3
    model_a, model_b = model_by_name(conn, "fake-a"), model_by_name(conn, "fake-b")
    assert model_a is not None
    assert model_b is not None
    assert active_model(conn) == model_a
    assert _what_users_see(conn) == before
    assert coverage(conn)[model_b.id].complete
    generate(db_url)  # the daily run after the add still serves the active model
    assert {row[3] for row in _what_users_see(conn)} == {model_a.id}

    with connection(db_url) as switch:
        activate_model(switch, model_b.id)
    generate(db_url)
    after = _what_users_see(conn)
    assert {row[3] for row in after} == {model_b.id}
    assert len(after) == len(before)


def test_the_active_model_cannot_be_removed(db_url: str, conn: Connection) -> None:
    _seed(conn)
    embed_pending(db_url, FakeEmbedder("fake-a", 32))
    embed_pending(db_url, FakeEmbedder("fake-b", 48))
    model_a, model_b = model_by_name(conn, "fake-a"), model_by_name(conn, "fake-b")
    assert model_a is not None
    assert model_b is not None
    assert not remove_model(conn, model_a.id)
    assert remove_model(conn, model_b.id)
    assert model_by_name(conn, "fake-b") is None
    vectors = conn.execute(
        "SELECT count(*) FROM job_embeddings WHERE model_id = %(id)s", {"id": model_b.id}
    ).fetchone()
    assert vectors == (0,)
    indexes = conn.execute(
        "SELECT count(*) FROM pg_indexes WHERE indexname LIKE %(pattern)s",
        {"pattern": f"%hnsw_model_{model_b.id}"},
    ).fetchone()
    assert indexes == (0,)


def test_the_worker_and_api_follow_the_active_model(db_url: str, conn: Connection) -> None:
    _seed(conn)
    assert serving_model(db_url, "configured-model") == ServingModel(
        "configured-model", TextOptions()
    )
    embed_pending(db_url, FakeEmbedder("fake-a", 32))
    chunked = TextOptions(long_text="chunk", chunk_words=50, chunk_overlap=5)
    embed_pending(db_url, FakeEmbedder("fake-b", 48), text_options=chunked)
    assert serving_model(db_url, "configured-model") == ServingModel("fake-a", TextOptions())
    shadow = model_by_name(conn, "fake-b [full+chunk50/5x8]")
    assert shadow is not None
    activate_model(conn, shadow.id)
    assert serving_model(db_url, "configured-model") == ServingModel("fake-b", chunked)
