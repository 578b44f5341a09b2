"""Migrations from an empty database, idempotence, and the rules the constraints carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from schema.database import connect
from schema.migrate import applied_migrations, available_migrations, migrate
from schema.queries.status import migration_level, table_row_counts

DESIGN_TABLES = {
    "users",
    "user_preferences",
    "api_tokens",
    "cvs",
    "jobs",
    "embedding_models",
    "job_embeddings",
    "cv_embeddings",
    "job_recommendations",
    "saved_jobs",
    "applications",
    "feedback",
    "task_runs",
    "schema_migrations",
}

Connection = psycopg.Connection[tuple[object, ...]]


def test_migrate_from_empty_applies_every_file_once(empty_db_url: str) -> None:
    every_file = [m.name for m in available_migrations()]
    assert migrate(empty_db_url) == every_file
    assert migrate(empty_db_url) == []
    with connect(empty_db_url) as conn:
        assert applied_migrations(conn) == every_file
        assert migration_level(conn)["pending"] == []
        assert set(table_row_counts(conn)) >= DESIGN_TABLES
        extension = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        assert extension.fetchone() is not None


def _job(conn: Connection, source_id: str) -> int:
    row = conn.execute(
        "INSERT INTO jobs (source, source_id, title, posted_at, content_hash)"
        " VALUES ('test', %(sid)s, 'Engineer', now(), '\\x00') RETURNING id",
        {"sid": source_id},
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


def _user(conn: Connection, email: str) -> int:
    row = conn.execute(
        "INSERT INTO users (email) VALUES (%(email)s) RETURNING id", {"email": email}
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


def _model(conn: Connection) -> int:
    row = conn.execute(
        "INSERT INTO embedding_models (name, dimension) VALUES ('m', 3) RETURNING id"
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


def _recommend(conn: Connection, user_id: int, job_id: int, model_id: int, rank: int) -> None:
    conn.execute(
        "INSERT INTO job_recommendations"
        " (user_id, job_id, model_id, rank, score, reason, expires_at)"
        " VALUES (%(u)s, %(j)s, %(m)s, %(r)s, 0.5, 'shares python', %(exp)s)",
        {"u": user_id, "j": job_id, "m": model_id, "r": rank, "exp": datetime.now(UTC)},
    )


def test_recommendation_is_unique_per_user_and_job(conn: Connection) -> None:
    user, job, model = _user(conn, "a@example.com"), _job(conn, "1"), _model(conn)
    _recommend(conn, user, job, model, rank=1)
    with pytest.raises(psycopg.errors.UniqueViolation):
        _recommend(conn, user, job, model, rank=2)


def test_recommendation_goes_when_its_job_goes(conn: Connection) -> None:
    user, job, model = _user(conn, "a@example.com"), _job(conn, "1"), _model(conn)
    _recommend(conn, user, job, model, rank=1)
    conn.execute("DELETE FROM jobs WHERE id = %(id)s", {"id": job})
    row = conn.execute("SELECT count(*) FROM job_recommendations").fetchone()
    assert row == (0,)


def test_job_with_an_application_cannot_be_deleted(conn: Connection) -> None:
    user, applied, other = _user(conn, "a@example.com"), _job(conn, "1"), _job(conn, "2")
    conn.execute(
        "INSERT INTO applications (user_id, job_id) VALUES (%(u)s, %(j)s)",
        {"u": user, "j": applied},
    )
    with pytest.raises(psycopg.errors.RestrictViolation):
        conn.execute("DELETE FROM jobs WHERE id = %(id)s", {"id": applied})
    conn.execute("DELETE FROM jobs WHERE id = %(id)s", {"id": other})
    remaining = conn.execute("SELECT id FROM jobs").fetchall()
    assert remaining == [(applied,)]


def test_one_active_cv_per_user_and_unique_email(conn: Connection) -> None:
    user = _user(conn, "a@example.com")
    conn.execute(
        "INSERT INTO cvs (user_id, body, content_hash) VALUES (%(u)s, 'python', '\\x01')",
        {"u": user},
    )
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(
            "INSERT INTO cvs (user_id, body, content_hash) VALUES (%(u)s, 'java', '\\x02')",
            {"u": user},
        )
    with pytest.raises(psycopg.errors.UniqueViolation):
        _user(conn, "A@Example.com")


def test_saved_job_expires_after_ten_days_by_default(conn: Connection) -> None:
    user, job = _user(conn, "a@example.com"), _job(conn, "1")
    row = conn.execute(
        "INSERT INTO saved_jobs (user_id, job_id) VALUES (%(u)s, %(j)s)"
        " RETURNING expires_at - saved_at",
        {"u": user, "j": job},
    ).fetchone()
    assert row == (timedelta(days=10),)
