"""The embed pipeline on a real database with the fake embedder: incremental, per model."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from embeddings.text import TextOptions
from schema.database import Connection
from schema.queries.models import DimensionMismatchError, active_model, model_by_name
from schema.queries.vectors import cv_vector, job_vector
from tests.fakes import FakeEmbedder
from workers.pipelines.embed import embed_cv, embed_pending, up_to_date


def insert_job(
    conn: Connection,
    title: str,
    description: str,
    *,
    tags: tuple[str, ...] = (),
    location: str = "Berlin",
    remote: bool = False,
    salary_max: Decimal | None = None,
    posted_at: datetime | None = None,
    company: str = "Acme",
) -> int:
    """A job row as the ingestion would store it (its hash covers the embedded fields)."""
    digest = hashlib.sha256(repr((title, company, location, tags, description)).encode())
    row = conn.execute(
        "INSERT INTO jobs (source, source_id, title, company, location, remote, salary_max,"
        " tags, description, posted_at, content_hash)"
        " VALUES ('test', %(sid)s, %(title)s, %(company)s, %(location)s, %(remote)s,"
        " %(salary_max)s, %(tags)s, %(description)s, %(posted_at)s, %(hash)s) RETURNING id",
        {
            "sid": hashlib.md5(f"{title}{description}{location}".encode()).hexdigest(),
            "title": title,
            "company": company,
            "location": location,
            "remote": remote,
            "salary_max": salary_max,
            "tags": list(tags),
            "description": description,
            "posted_at": posted_at or datetime.now(UTC) - timedelta(hours=1),
            "hash": digest.digest(),
        },
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


def insert_cv(conn: Connection, email: str, body: str, *, active: bool = True) -> int:
    user = conn.execute(
        "INSERT INTO users (email) VALUES (%(email)s) RETURNING id", {"email": email}
    ).fetchone()
    assert user is not None
    row = conn.execute(
        "INSERT INTO cvs (user_id, body, content_hash, is_active)"
        " VALUES (%(user)s, %(body)s, %(hash)s, %(active)s) RETURNING id",
        {
            "user": user[0],
            "body": body,
            "hash": hashlib.sha256(body.encode()).digest(),
            "active": active,
        },
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


def test_first_run_embeds_everything_and_a_second_run_nothing(
    db_url: str, conn: Connection
) -> None:
    jobs = [insert_job(conn, f"Job {i}", f"python developer number {i}") for i in range(5)]
    cv = insert_cv(conn, "a@example.com", "I write python")
    insert_cv(conn, "b@example.com", "old CV", active=False)
    fake = FakeEmbedder()
    seen: list[tuple[int, int]] = []

    first = embed_pending(db_url, fake, progress=lambda done, total: seen.append((done, total)))
    assert (first.jobs_embedded, first.cvs_embedded, first.unchanged) == (5, 1, 0)
    assert first.activated
    assert seen[0] == (0, 6)
    assert seen[-1] == (6, 6)
    model = active_model(conn)
    assert model is not None
    assert model.name == "fake-embedder"
    assert all(job_vector(conn, model.id, j) is not None for j in jobs)
    assert cv_vector(conn, model.id, cv) is not None

    # Texts are profiled for reasons once, with the embedding (the inactive CV is not).
    assert first.profiled == 6
    profiles = conn.execute("SELECT count(*) FROM job_text_profiles").fetchone()
    assert profiles == (5,)

    calls = len(fake.calls)
    second = embed_pending(db_url, fake)
    assert (second.embedded, second.unchanged, second.activated) == (0, 6, False)
    assert second.profiled == 0
    assert len(fake.calls) == calls  # nothing was encoded at all


def test_changing_one_job_re_embeds_exactly_that_job(db_url: str, conn: Connection) -> None:
    jobs = [insert_job(conn, f"Job {i}", f"python developer number {i}") for i in range(4)]
    fake = FakeEmbedder()
    embed_pending(db_url, fake)
    model = model_by_name(conn, "fake-embedder")
    assert model is not None
    before = {j: job_vector(conn, model.id, j) for j in jobs}

    conn.execute(
        "UPDATE jobs SET title = 'Head chef', description = 'cooking in a busy kitchen',"
        " content_hash = %(hash)s WHERE id = %(id)s",
        {"hash": b"changed", "id": jobs[2]},
    )
    fake.calls.clear()
    summary = embed_pending(db_url, fake)

    assert (summary.jobs_embedded, summary.unchanged) == (1, 3)
    assert summary.profiled == 1  # its profile for reasons is made again too
    assert fake.calls == [2]  # that job's head and its one description window
    after = {j: job_vector(conn, model.id, j) for j in jobs}
    for j in jobs:
        assert np.array_equal(before[j], after[j]) == (j != jobs[2])  # type: ignore[arg-type]
    stored = conn.execute(
        "SELECT content_hash FROM job_embeddings WHERE job_id = %(id)s", {"id": jobs[2]}
    ).fetchone()
    assert stored is not None
    assert stored == (b"changed",)


def test_two_models_keep_separate_vectors(db_url: str, conn: Connection) -> None:
    job = insert_job(conn, "Data engineer", "spark and airflow pipelines")
    small, large = FakeEmbedder("model-small", 16), FakeEmbedder("model-large", 48)
    embed_pending(db_url, small)
    summary = embed_pending(db_url, large)

    assert summary.jobs_embedded == 1
    assert not summary.activated
    a, b = model_by_name(conn, "model-small"), model_by_name(conn, "model-large")
    assert a is not None
    assert b is not None
    vector_a, vector_b = job_vector(conn, a.id, job), job_vector(conn, b.id, job)
    assert vector_a is not None
    assert vector_a.shape == (16,)
    assert vector_b is not None
    assert vector_b.shape == (48,)
    active = active_model(conn)
    assert active is not None
    assert active.name == "model-small"
    # Re-running one model leaves the other's set alone.
    conn.execute("UPDATE jobs SET content_hash = 'x' WHERE id = %(id)s", {"id": job})
    assert embed_pending(db_url, small).jobs_embedded == 1
    assert np.array_equal(job_vector(conn, b.id, job), vector_b)  # type: ignore[arg-type]


def test_empty_and_whitespace_texts_are_skipped_and_counted(db_url: str, conn: Connection) -> None:
    good = insert_job(conn, "Nurse", "night shifts on the ward")
    blank = insert_job(conn, "   ", " \n\t ")
    empty = insert_job(conn, "", "")
    fake = FakeEmbedder()

    summary = embed_pending(db_url, fake)

    assert (summary.jobs_embedded, summary.skipped_empty) == (1, 2)
    # One job's pieces (its head and its one description window); the empty jobs none.
    assert fake.calls == [2]
    model = model_by_name(conn, "fake-embedder")
    assert model is not None
    assert job_vector(conn, model.id, good) is not None
    assert job_vector(conn, model.id, blank) is None
    assert job_vector(conn, model.id, empty) is None


def test_a_job_emptied_later_loses_its_stale_vector(db_url: str, conn: Connection) -> None:
    job = insert_job(conn, "Nurse", "night shifts on the ward")
    embed_pending(db_url, FakeEmbedder())
    conn.execute(
        "UPDATE jobs SET title = ' ', description = ' ', tags = '{}', content_hash = 'e'"
        " WHERE id = %(id)s",
        {"id": job},
    )
    summary = embed_pending(db_url, FakeEmbedder())
    model = model_by_name(conn, "fake-embedder")
    assert model is not None
    assert summary.skipped_empty == 1
    assert job_vector(conn, model.id, job) is None


def test_a_model_whose_dimension_differs_is_refused(db_url: str, conn: Connection) -> None:
    job = insert_job(conn, "Chef", "cooking")
    embed_pending(db_url, FakeEmbedder("same-name", 32))
    with pytest.raises(DimensionMismatchError, match=r"'same-name'.*16.*32"):
        embed_pending(db_url, FakeEmbedder("same-name", 16))
    model = model_by_name(conn, "same-name")
    assert model is not None
    assert model.dimension == 32
    vector = job_vector(conn, model.id, job)
    assert vector is not None
    assert vector.shape == (32,)


def test_stored_vectors_of_another_dimension_are_refused(db_url: str, conn: Connection) -> None:
    insert_job(conn, "Chef", "cooking")
    embed_pending(db_url, FakeEmbedder("drifted", 32))
    # A registry row edited by hand (or a broken migration) must not mix dimensions.
    conn.execute("UPDATE embedding_models SET dimension = 16 WHERE name = 'drifted'")
    conn.execute("UPDATE jobs SET content_hash = 'changed'")
    with pytest.raises(DimensionMismatchError, match="holds 32-dimensional ones"):
        embed_pending(db_url, FakeEmbedder("drifted", 16))


def test_embed_cv_embeds_a_new_upload_once(db_url: str, conn: Connection) -> None:
    cv = insert_cv(conn, "c@example.com", "Registered nurse, ten years on surgical wards")
    fake = FakeEmbedder()
    assert embed_cv(db_url, fake, cv) is True
    assert embed_cv(db_url, fake, cv) is False  # already current
    assert embed_cv(db_url, fake, 999_999) is False  # no such CV
    assert fake.calls == [1]
    model = active_model(conn)
    assert model is not None
    assert cv_vector(conn, model.id, cv) is not None


def test_text_options_store_a_separate_set(db_url: str, conn: Connection) -> None:
    insert_job(conn, "Writer", " ".join(["words"] * 500))
    fake = FakeEmbedder()
    embed_pending(db_url, fake)
    chunked = embed_pending(db_url, fake, text_options=TextOptions(long_text="chunk"))
    assert chunked.model == "fake-embedder [full+chunk160/32x8]"
    assert chunked.jobs_embedded == 1
    assert fake.calls[-1] == 4  # 500+ words in windows of 160 overlapping by 32


def test_up_to_date_answers_without_a_model_only_when_nothing_is_pending(
    db_url: str, conn: Connection
) -> None:
    job = insert_job(conn, "Chef", "cooking")
    assert up_to_date(db_url, "fake-embedder") is None  # never embedded under that name
    embed_pending(db_url, FakeEmbedder())
    summary = up_to_date(db_url, "fake-embedder")
    assert summary is not None
    assert (summary.embedded, summary.unchanged) == (0, 1)
    conn.execute("UPDATE jobs SET content_hash = 'new' WHERE id = %(id)s", {"id": job})
    assert up_to_date(db_url, "fake-embedder") is None
