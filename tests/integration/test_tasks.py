"""The Huey tasks in immediate mode against a real PostgreSQL: the whole pipeline (jobs
already stored → embed with the fake embedder → daily generation in shards → a new CV),
locks, the run log, and which failures are recorded (the retries: test_runs_survive)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from schema.database import Connection
from schema.queries.cvs import replace_active_cv
from tests.fakes import immediate_tasks
from tests.integration.recommend_data import add_job, add_model, add_user, stored, unit
from workers import tasks as tasks_module
from workers.pipelines.runs import AlreadyRunningError, TaskName, logged_run
from workers.tasks import Tasks


@pytest.fixture
def tasks(db_url: str, tmp_path: Path) -> Iterator[Tasks]:
    """Tasks run in the caller (Huey's immediate mode) against the test database."""
    made = immediate_tasks(db_url, tmp_path)
    yield made
    made.huey.storage.close()


def _runs(conn: Connection) -> list[tuple[str, str, dict[str, object], str | None]]:
    rows = conn.execute("SELECT task, status, counts, error FROM task_runs ORDER BY id").fetchall()
    return [
        (str(r[0]), str(r[1]), cast(dict[str, object], r[2]), cast(str | None, r[3])) for r in rows
    ]


def test_whole_pipeline_in_immediate_mode(tasks: Tasks, conn: Connection) -> None:
    pytest.importorskip("workers.pipelines.embed", reason="the embed pipeline (issue 4) is absent")
    for n in range(40):
        add_job(
            conn,
            None,
            None,
            title=f"Python backend engineer {n}",
            company=f"Py {n % 13}",
            tags=["python", "postgresql"],
            description="Build APIs in Python on PostgreSQL.",
        )
        add_job(
            conn,
            None,
            None,
            title=f"ICU nurse {n}",
            company=f"Care {n % 13}",
            tags=["nursing"],
            description="Patient care on the intensive care unit.",
        )
    users = [add_user(conn, cv="Python developer. PostgreSQL, APIs, Django.") for _ in range(3)]
    add_user(conn, cv=None)

    tasks.embed_all()
    tasks.generate_all_recommendations()
    for user in users:
        rows = stored(conn, user)
        assert [rank for _, rank, _ in rows] == list(range(1, 51))
    top = conn.execute(
        "SELECT j.title FROM job_recommendations r JOIN jobs j ON j.id = r.job_id"
        " WHERE r.user_id = %s AND r.rank <= 10",
        (users[0],),
    ).fetchall()
    assert all("Python" in str(t[0]) for t in top)

    cv = replace_active_cv(conn, users[0], "Registered nurse: ICU patient care, nursing.")
    tasks.process_new_cv(cv.id)
    top = conn.execute(
        "SELECT j.title FROM job_recommendations r JOIN jobs j ON j.id = r.job_id"
        " WHERE r.user_id = %s AND r.rank <= 10",
        (users[0],),
    ).fetchall()
    assert all("nurse" in str(t[0]) for t in top)

    runs = _runs(conn)
    assert [(task, status) for task, status, _, _ in runs] == [
        ("embed_all", "succeeded"),
        ("generate_all_recommendations", "succeeded"),  # the fan-out starts first
        ("generate_recommendation_shard", "succeeded"),
        ("process_new_cv", "succeeded"),
    ]
    assert runs[1][2]["users"] == 3
    assert runs[1][2]["shards"] == 1
    assert runs[2][2]["recommendations"] == 150
    assert runs[3][2]["embedded"] is True


def test_shards_split_the_users(
    tasks: Tasks, conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = add_model(conn)
    for n in range(60):
        add_job(conn, model, unit(np.random.default_rng(n).normal(size=8)))
    users = [add_user(conn, model, unit(np.ones(8) + n)) for n in range(5)]
    monkeypatch.setattr(tasks_module, "SHARD_USERS", 2)  # five users → three shards
    tasks.generate_all_recommendations()
    runs = _runs(conn)
    shards = [counts for task, _, counts, _ in runs if task == "generate_recommendation_shard"]
    assert sorted(int(str(c["shard"])) for c in shards) == [0, 1, 2]
    assert {c["shards"] for c in shards} == {3}
    assert sum(int(str(c["users"])) for c in shards) == 5  # user_id % 3 splits them
    assert all(len(stored(conn, user)) == 50 for user in users)


def test_a_held_lock_skips_the_run(tasks: Tasks, conn: Connection, db_url: str) -> None:
    with logged_run(db_url, TaskName.CLEANUP_ALL):  # as `jobmatch cleanup` holds it
        tasks.cleanup_all()
        with pytest.raises(AlreadyRunningError), logged_run(db_url, TaskName.CLEANUP_ALL):
            pytest.fail("the block must not run while the lock is held")
    tasks.cleanup_all()
    runs = _runs(conn)
    assert [(task, status) for task, status, _, _ in runs] == [
        ("cleanup_all", "succeeded"),
        ("cleanup_all", "skipped"),
        ("cleanup_all", "skipped"),
        ("cleanup_all", "succeeded"),
    ]
    assert "already running" in str(runs[1][2]["skipped"])


def test_a_permanent_error_is_recorded_and_not_retried(tasks: Tasks, conn: Connection) -> None:
    tasks.generate_recommendation_shard(0, 0)  # no such shard
    ((task, status, _, error),) = _runs(conn)
    assert (task, status) == ("generate_recommendation_shard", "failed")
    assert error is not None
    assert "need 0 <= shard < shards" in error
    assert tasks.huey.scheduled() == []
