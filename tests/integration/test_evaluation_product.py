"""Labelled sets from users' own actions: applications, saves, votes."""

from __future__ import annotations

from schema.database import Connection
from schema.queries.cvs import replace_active_cv
from schema.queries.users import create_user
from tests.integration.test_migrations import _job
from workers.evaluation.build import from_product


def _signal(conn: Connection, table: str, user: int, job: int, vote: str | None = None) -> None:
    if table == "feedback":
        conn.execute(
            "INSERT INTO feedback (user_id, job_id, vote) VALUES (%(u)s, %(j)s, %(v)s)",
            {"u": user, "j": job, "v": vote},
        )
    else:
        conn.execute(
            f"INSERT INTO {table} (user_id, job_id) VALUES (%(u)s, %(j)s)",
            {"u": user, "j": job},
        )


def test_grades_follow_what_users_did(db_url: str, conn: Connection) -> None:
    active = create_user(conn, "active@example.com")
    silent = create_user(conn, "silent@example.com")
    no_cv = create_user(conn, "nocv@example.com")
    assert active is not None
    assert silent is not None
    assert no_cv is not None
    replace_active_cv(conn, active.id, "Python developer")
    replace_active_cv(conn, silent.id, "Nurse")
    applied, saved_up, saved, down_saved, other = (_job(conn, str(n)) for n in range(5))
    _signal(conn, "applications", active.id, applied)
    _signal(conn, "saved_jobs", active.id, saved_up)
    _signal(conn, "feedback", active.id, saved_up, "up")
    _signal(conn, "saved_jobs", active.id, saved)
    _signal(conn, "saved_jobs", active.id, down_saved)
    _signal(conn, "feedback", active.id, down_saved, "down")
    _signal(conn, "feedback", silent.id, other, "down")  # no positive: not a query
    _signal(conn, "applications", no_cv.id, other)  # no CV: not a query

    labelled = from_product(db_url)
    assert [q.id for q in labelled.queries] == [f"user-{active.id}"]
    assert labelled.queries[0].text == "Python developer"
    assert labelled.judgments == {
        f"user-{active.id}": {
            f"job-{applied}": 3,
            f"job-{saved_up}": 2,
            f"job-{saved}": 1,
            f"job-{down_saved}": 0,
        }
    }
    jobs = (applied, saved_up, saved, down_saved, other)
    assert {d.id for d in labelled.documents} == {f"job-{j}" for j in jobs}
