"""Hybrid search on a real database: fusion, filters, the HNSW index, text-only fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from schema.database import Connection
from schema.queries.models import model_by_name
from schema.queries.search import SearchFilters, search_jobs, search_plan
from tests.fakes import FakeEmbedder
from tests.integration.test_embed_pipeline import insert_job
from workers.pipelines.embed import embed_pending

NOW = datetime.now(UTC)


@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder(dimension=64)


def seed(conn: Connection) -> dict[str, int]:
    """A small, varied catalogue; keys name each job."""
    return {
        "python": insert_job(
            conn,
            "Python developer",
            "Build Django services and PostgreSQL schemas",
            tags=("python", "django"),
            remote=True,
            location="Worldwide",
            salary_max=Decimal(90000),
        ),
        "python_old": insert_job(
            conn,
            "Python engineer",
            "Python data pipelines",
            tags=("python",),
            location="Berlin",
            posted_at=NOW - timedelta(days=30),
            salary_max=Decimal(60000),
        ),
        "nurse": insert_job(
            conn,
            "Registered nurse",
            "Night shifts on a surgical ward, patient care",
            location="Munich",
            salary_max=Decimal(50000),
        ),
        "chef": insert_job(
            conn, "Head chef", "Run a busy kitchen, seasonal menu", location="Berlin"
        ),
    }


def run(
    conn: Connection,
    fake: FakeEmbedder,
    query: str,
    *,
    text: str | None = None,
    filters: SearchFilters | None = None,
    limit: int = 10,
    vector: bool = True,
) -> list[int]:
    model = model_by_name(conn, fake.name)
    assert model is not None
    hits = search_jobs(
        conn,
        model_id=model.id,
        dimension=model.dimension,
        query_vector=fake.encode([query])[0] if vector else None,
        query_text=query if text is None else text,
        filters=filters or SearchFilters(),
        limit=limit,
    )
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    return [h.job_id for h in hits]


def test_the_matching_job_comes_first_and_carries_both_ranks(
    db_url: str, conn: Connection, fake: FakeEmbedder
) -> None:
    jobs = seed(conn)
    embed_pending(db_url, fake)
    model = model_by_name(conn, fake.name)
    assert model is not None
    hits = search_jobs(
        conn,
        model_id=model.id,
        dimension=model.dimension,
        query_vector=fake.encode(["python django developer"])[0],
        query_text="python django developer",
        filters=SearchFilters(),
        limit=3,
    )
    assert hits[0].job_id == jobs["python"]
    assert hits[0].semantic_rank == 1
    assert hits[0].text_rank == 1
    assert hits[0].title == "Python developer"
    assert hits[0].tags == ["python", "django"]
    assert hits[0].similarity is not None
    assert len(hits) == 3


def test_filters_apply_to_both_lists(db_url: str, conn: Connection, fake: FakeEmbedder) -> None:
    jobs = seed(conn)
    embed_pending(db_url, fake)
    q = "python developer nurse chef"
    assert run(conn, fake, q, filters=SearchFilters(remote=True)) == [jobs["python"]]
    assert set(run(conn, fake, q, filters=SearchFilters(location="berlin"))) == {
        jobs["python_old"],
        jobs["chef"],
    }
    recent = run(conn, fake, q, filters=SearchFilters(posted_since=NOW - timedelta(days=7)))
    assert jobs["python_old"] not in recent
    assert len(recent) == 3
    paid = run(conn, fake, q, filters=SearchFilters(min_salary=55000))
    assert set(paid) == {jobs["python"], jobs["python_old"]}  # the chef names no salary


def test_a_location_with_like_wildcards_matches_literally(
    db_url: str, conn: Connection, fake: FakeEmbedder
) -> None:
    seed(conn)
    embed_pending(db_url, fake)
    assert run(conn, fake, "python", filters=SearchFilters(location="%")) == []


def test_text_only_and_semantic_only(db_url: str, conn: Connection, fake: FakeEmbedder) -> None:
    jobs = seed(conn)
    embed_pending(db_url, fake)
    assert run(conn, fake, "kitchen", vector=False) == [jobs["chef"]]
    # Blank text: the semantic list alone ranks every job, nearest first.
    semantic = run(conn, fake, "surgical ward nurse", text="   ")
    assert semantic[0] == jobs["nurse"]
    assert len(semantic) == 4


def test_the_per_model_hnsw_index_serves_the_search(
    db_url: str, conn: Connection, fake: FakeEmbedder
) -> None:
    for i in range(300):
        insert_job(conn, f"Engineer {i}", f"software work item {i}", remote=i % 20 == 0)
    embed_pending(db_url, fake)
    conn.execute("ANALYZE jobs, job_embeddings")
    # 300 rows are cheaper to sort than to walk an index; on a big table the planner picks
    # the HNSW scan itself. Ruling the other paths out here proves that the query's
    # expression and model_id predicate match the per-model partial index.
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        conn.execute(f"SET {setting} = off")
    model = model_by_name(conn, fake.name)
    assert model is not None
    for filters in (SearchFilters(), SearchFilters(remote=True)):
        plan = search_plan(
            conn,
            model_id=model.id,
            dimension=model.dimension,
            query_vector=fake.encode(["software engineer"])[0],
            query_text="",
            filters=filters,
            limit=10,
        )
        assert f"Index Scan using job_embeddings_hnsw_model_{model.id}" in plan
    # One job in 20 is remote: the iterative scan walks on until the page is full.
    hits = run(conn, fake, "software engineer", text="", filters=SearchFilters(remote=True))
    assert len(hits) == 10


def test_naive_posted_since_and_bad_limit_are_refused(conn: Connection) -> None:
    with pytest.raises(ValueError, match="aware"):
        search_jobs(
            conn,
            model_id=1,
            dimension=4,
            query_vector=None,
            query_text="x",
            filters=SearchFilters(posted_since=datetime(2026, 1, 1)),
            limit=5,
        )
    with pytest.raises(ValueError, match="limit"):
        search_jobs(
            conn,
            model_id=1,
            dimension=4,
            query_vector=None,
            query_text="x",
            filters=SearchFilters(),
            limit=0,
        )
