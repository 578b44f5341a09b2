"""Migrations from an empty database, idempotence, and the rules the constraints carry."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from embeddings.evidence import NOTHING_SHARED
from schema.database import Connection, connect
from schema.migrate import Migration, applied_migrations, available_migrations, migrate
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
    "recommendation_lists",
    "saved_jobs",
    "applications",
    "feedback",
    "task_runs",
    "task_triggers",
    "throttle",
    "schema_migrations",
}


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


def _store_list(conn: Connection, user_id: int, model_id: int, job_ids: list[int]) -> None:
    """A list of the user's active named CV (made, as "main", when they have none)."""
    conn.execute(
        "INSERT INTO recommendation_lists (user_id, named_cv_id, model_id, cv_id, job_ids,"
        " scores, evidence, fits, generated_at, expires_at)"
        " VALUES (%(u)s, jobmatch_active_named_cv(%(u)s), %(m)s, 1, %(j)s, %(s)s, %(e)s, %(f)s,"
        " now(), now() + interval '3 days')",
        {
            "u": user_id,
            "m": model_id,
            "j": job_ids,
            "s": [0.5] * len(job_ids),
            "e": [NOTHING_SHARED] * len(job_ids),
            "f": ["remote"] * len(job_ids),
        },
    )


def test_a_list_is_one_row_per_named_cv_with_arrays_of_one_length(conn: Connection) -> None:
    user, job, model = _user(conn, "a@example.com"), _job(conn, "1"), _model(conn)
    _store_list(conn, user, model, [job])
    with pytest.raises(psycopg.errors.UniqueViolation):
        _store_list(conn, user, model, [job])
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "UPDATE recommendation_lists SET scores = '{0.5, 0.4}' WHERE user_id = %(u)s",
            {"u": user},
        )


def test_recommendation_view_drops_a_deleted_job_and_ranks_close_up(conn: Connection) -> None:
    user, model = _user(conn, "a@example.com"), _model(conn)
    first, second = _job(conn, "1"), _job(conn, "2")
    _store_list(conn, user, model, [first, second])
    conn.execute("DELETE FROM jobs WHERE id = %(id)s", {"id": first})
    rows = conn.execute("SELECT job_id, rank FROM job_recommendations").fetchall()
    assert rows == [(second, 1)]  # ranks close up over the jobs that remain


def test_stored_rows_become_lists_when_migrated(empty_db_url: str) -> None:
    """Migration 005 turns the old one-row-per-recommendation table into lists; 008
    drops lists whose reasons are text (the next run writes them again)."""
    with connect(empty_db_url, vectors=False) as conn:
        conn.autocommit = True
        before, rest = _split_at(available_migrations(), "005_recommendation_lists.sql")
        for migration in before:
            conn.execute(migration.sql.encode())
        user, model = _user(conn, "a@example.com"), _model(conn)
        first, second = _job(conn, "1"), _job(conn, "2")
        for rank, job in ((2, first), (1, second)):
            conn.execute(
                "INSERT INTO job_recommendations"
                " (user_id, job_id, model_id, rank, score, reason, expires_at)"
                " VALUES (%(u)s, %(j)s, %(m)s, %(r)s, 0.5, %(why)s, now())",
                {"u": user, "j": job, "m": model, "r": rank, "why": f"reason {rank}"},
            )
        up_to_007, from_008 = _split_at(rest, "008_reason_evidence.sql")
        for migration in up_to_007:
            conn.execute(migration.sql.encode())
        row = conn.execute("SELECT job_ids, reasons FROM recommendation_lists").fetchone()
        assert row == ([second, first], ["reason 1", "reason 2"])
        for migration in from_008:
            conn.execute(migration.sql.encode())
        assert conn.execute("SELECT count(*) FROM recommendation_lists").fetchone() == (0,)


def test_content_hashes_are_rewritten_with_what_was_made_from_them(empty_db_url: str) -> None:
    """Migration 009 changes how a job's hash is computed: a vector or profile made from
    the current text follows it (nothing is embedded again); a stale one stays stale."""
    with connect(empty_db_url, vectors=False) as conn:
        conn.autocommit = True
        before, from_009 = _split_at(available_migrations(), "009_job_content_hash.sql")
        for migration in before:
            conn.execute(migration.sql.encode())
        current, stale = _job(conn, "1"), _job(conn, "2")  # both stored with the hash 00
        model = _model(conn)
        for job, made_from in ((current, "\\x00"), (stale, "\\x01")):
            conn.execute(
                "INSERT INTO job_embeddings (model_id, job_id, embedding, content_hash)"
                " VALUES (%(m)s, %(j)s, '[1,0,0]', %(h)s)",
                {"m": model, "j": job, "h": made_from},
            )
        until_015, _ = _split_at(from_009, "015_sections_default.sql")
        for migration in until_015:  # 015 marks every plain-named set stale on its own
            conn.execute(migration.sql.encode())
        rows = conn.execute(
            "SELECT j.id, j.content_hash = jobmatch_content_hash(j.title, j.company,"
            " j.location, j.tags, j.category, j.description), e.content_hash = j.content_hash"
            " FROM jobs j JOIN job_embeddings e ON e.job_id = j.id ORDER BY j.id"
        ).fetchall()
        assert rows == [(current, True, True), (stale, True, False)]


def test_snippets_are_the_descriptions_first_280_characters(empty_db_url: str) -> None:
    """Migration 010 keeps each job's snippet in its row, for jobs stored before it too."""
    long_text = "Ünïcode " * 100  # 800 characters, stored out of line
    with connect(empty_db_url, vectors=False) as conn:
        conn.autocommit = True
        before, from_010 = _split_at(available_migrations(), "010_job_snippet.sql")
        for migration in before:
            conn.execute(migration.sql.encode())
        old = _job(conn, "old")
        conn.execute(
            "UPDATE jobs SET description = %(d)s WHERE id = %(id)s", {"d": long_text, "id": old}
        )
        for migration in from_010:
            conn.execute(migration.sql.encode())
        new = _job(conn, "new")  # description '' (the default)
        rows = conn.execute("SELECT id, snippet FROM jobs ORDER BY id").fetchall()
    assert rows == [(old, long_text[:280]), (new, "")]


def _split_at(migrations: list[Migration], name: str) -> tuple[list[Migration], list[Migration]]:
    names = [m.name for m in migrations]
    return migrations[: names.index(name)], migrations[names.index(name) :]


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


def _old_cv(conn: Connection, user_id: int, body: str, *, active: bool) -> int:
    row = conn.execute(
        "INSERT INTO cvs (user_id, body, content_hash, is_active)"
        " VALUES (%(u)s, %(b)s, sha256(convert_to(%(b)s::text, 'UTF8')), %(a)s)"
        " RETURNING id",
        {"u": user_id, "b": body, "a": active},
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


def test_one_cv_per_user_becomes_a_first_named_cv_with_its_list(empty_db_url: str) -> None:
    """Migration 021 on a database of one CV per person (with an older version, a list,
    votes and a seen list): each CV becomes the person's named CV "main", active, and
    keeps its versions, list, votes and views; a person with no CV gets no named CV."""
    with connect(empty_db_url, vectors=False) as conn:
        conn.autocommit = True
        before, rest = _split_at(available_migrations(), "021_named_cvs.sql")
        for migration in before:
            conn.execute(migration.sql.encode())
        model = _model(conn)
        first, second = _job(conn, "1"), _job(conn, "2")
        people = {}
        for email in ("a@example.com", "b@example.com"):
            user = _user(conn, email)
            old = _old_cv(conn, user, f"old CV of {email}", active=False)
            current = _old_cv(conn, user, f"CV of {email}", active=True)
            people[user] = (old, current)
            conn.execute(
                "INSERT INTO recommendation_lists (user_id, model_id, cv_id, job_ids, scores,"
                " evidence, fits, generated_at, expires_at) VALUES (%(u)s, %(m)s, %(c)s,"
                " %(j)s, '{0.9, 0.8}', %(e)s, '{remote, NULL}', now(), now() + interval '3 days')",
                {
                    "u": user,
                    "m": model,
                    "c": current,
                    "j": [second, first],
                    "e": [NOTHING_SHARED] * 2,
                },
            )
            conn.execute(
                "INSERT INTO feedback (user_id, job_id, vote) VALUES (%(u)s, %(j)s, 'up')",
                {"u": user, "j": first},
            )
            conn.execute(
                "INSERT INTO list_views (user_id, generated_at, model_id, job_ids)"
                " SELECT user_id, generated_at, model_id, job_ids FROM recommendation_lists"
                " WHERE user_id = %(u)s",
                {"u": user},
            )
        no_cv = _user(conn, "c@example.com")

        for migration in rest:
            conn.execute(migration.sql.encode())

        named = conn.execute(
            "SELECT user_id, id, name, is_active FROM named_cvs ORDER BY user_id"
        ).fetchall()
        assert [(row[0], row[2], row[3]) for row in named] == [
            (user, "main", True) for user in people
        ]
        named_of = {int(str(row[0])): int(str(row[1])) for row in named}
        assert no_cv not in named_of
        for user, (old, current) in people.items():
            versions = conn.execute(
                "SELECT id, is_active FROM cvs WHERE named_cv_id = %(n)s ORDER BY id",
                {"n": named_of[user]},
            ).fetchall()
            assert versions == [(old, False), (current, True)]
            kept = conn.execute(
                "SELECT user_id, cv_id, job_ids FROM recommendation_lists"
                " WHERE named_cv_id = %(n)s",
                {"n": named_of[user]},
            ).fetchall()
            assert kept == [(user, current, [second, first])]
            ranked = conn.execute(
                "SELECT job_id, rank FROM job_recommendations WHERE named_cv_id = %(n)s"
                " ORDER BY rank",
                {"n": named_of[user]},
            ).fetchall()
            assert ranked == [(second, 1), (first, 2)]
            votes = conn.execute(
                "SELECT job_id, named_cv_id FROM feedback WHERE user_id = %(u)s", {"u": user}
            ).fetchall()
            assert votes == [(first, named_of[user])]
            views = conn.execute(
                "SELECT named_cv_id FROM list_views WHERE user_id = %(u)s", {"u": user}
            ).fetchall()
            assert views == [(named_of[user],)]
