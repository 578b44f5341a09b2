"""Cleanup against a real PostgreSQL: what goes, what stays, and never a job with an
application (a property-based test over random ages and applications)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema.database import Connection
from tests.integration.recommend_data import add_job, add_model, add_user, store_list, unit
from workers.pipelines.cleanup import cleanup


def _ids(conn: Connection, table: str, column: str = "job_id") -> set[int]:
    return {int(str(r[0])) for r in conn.execute(f"SELECT {column} FROM {table}").fetchall()}


def test_cleanup_deletes_what_expired_and_keeps_the_rest(db_url: str, conn: Connection) -> None:
    model = add_model(conn)
    user = add_user(conn, model, unit(np.ones(8)))
    fresh = add_job(conn, model, unit(np.ones(8)), posted_days_ago=2)
    old = add_job(conn, model, unit(np.ones(8)), posted_days_ago=8)
    applied_old = add_job(conn, model, unit(np.ones(8)), posted_days_ago=30)
    conn.execute("INSERT INTO applications (user_id, job_id) VALUES (%s, %s)", (user, applied_old))
    now = datetime.now(UTC)
    conn.execute(
        "INSERT INTO saved_jobs (user_id, job_id, saved_at, expires_at) VALUES"
        " (%(u)s, %(fresh)s, %(now)s, %(later)s), (%(u)s, %(applied)s, %(long_ago)s, %(later)s)",
        {
            "u": user,
            "fresh": fresh,
            "applied": applied_old,
            "now": now,
            "long_ago": now - timedelta(days=11),
            "later": now + timedelta(days=5),
        },
    )
    # One list has expired, another (recommending the applied-to job) has not.
    store_list(conn, user, model, [fresh], expires_at=now - timedelta(minutes=1))
    other = add_user(conn, model, unit(np.ones(8)))
    store_list(conn, other, model, [applied_old], expires_at=now + timedelta(days=1))

    dry = cleanup(db_url, dry_run=True)
    assert (dry.saved_jobs, dry.recommendations, dry.jobs) == (1, 1, 1)
    assert [job.id for job in dry.jobs_listed] == [old]
    assert _ids(conn, "jobs", "id") == {fresh, old, applied_old}  # the dry run deleted nothing

    done = cleanup(db_url)
    assert (done.saved_jobs, done.recommendations, done.jobs) == (1, 1, 1)
    assert _ids(conn, "jobs", "id") == {fresh, applied_old}
    assert _ids(conn, "saved_jobs") == {fresh}
    assert _ids(conn, "job_recommendations") == {applied_old}
    assert _ids(conn, "job_embeddings") == {fresh, applied_old}  # vectors went with the job
    assert cleanup(db_url).counts() == {
        "dry_run": False,
        "saved_jobs": 0,
        "recommendations": 0,
        "jobs": 0,
    }


def test_parts_run_alone_and_unknown_parts_are_refused(db_url: str, conn: Connection) -> None:
    add_job(conn, None, None, posted_days_ago=9)
    assert cleanup(db_url, parts=("saved_jobs",)).jobs == 0
    assert cleanup(db_url, parts=("jobs",)).jobs == 1
    with pytest.raises(ValueError, match="unknown cleanup part"):
        cleanup(db_url, parts=("everything",))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.tuples(st.floats(0.0, 20.0), st.booleans()), min_size=1, max_size=12))
def test_a_job_with_an_application_is_never_deleted(
    db_url: str, conn: Connection, jobs: list[tuple[float, bool]]
) -> None:
    conn.execute("DELETE FROM applications")
    conn.execute("DELETE FROM jobs")
    user = add_user(conn, cv=None)
    ages: dict[int, float] = {}
    applied: set[int] = set()
    for age, has_application in jobs:
        job = add_job(conn, None, None, posted_days_ago=age)
        ages[job] = age
        if has_application:
            conn.execute("INSERT INTO applications (user_id, job_id) VALUES (%s, %s)", (user, job))
            applied.add(job)
    cleanup(db_url, parts=("jobs",))
    left = _ids(conn, "jobs", "id")
    assert applied <= left
    for job, age in ages.items():
        if job not in applied and abs(age - 7.0) > 0.01:  # clear of the boundary's clock tick
            assert (job in left) == (age < 7.0)
