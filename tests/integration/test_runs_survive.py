"""Runs that survive: a task interrupted by a database outage runs again when the
database returns; a run whose worker died is closed as `interrupted` and queued again;
no run is left `running`; duplicate triggers of a queued or running task coalesce."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from schema.database import Connection, connect
from schema.errors import DatabaseError
from schema.queries.runs import start_run
from tests.fakes import immediate_tasks
from tests.stoppable_server import StoppableServer, stoppable_server
from workers.pipelines.runs import (
    Counts,
    TaskName,
    close_stale_runs,
    logged_run,
    trigger,
)
from workers.retry import RetryPolicy, run_guarded
from workers.settings import Settings
from workers.tasks import Tasks, create_tasks, recover

FAST = RetryPolicy(retries=3, delay_s=0.1, wait_s=30, poll_s=0.2)


def _runs(url: str) -> list[tuple[str, str, object, object]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT task, status, counts, resumed_at IS NOT NULL FROM task_runs ORDER BY id"
        ).fetchall()
    return [(str(r[0]), str(r[1]), r[2], r[3]) for r in rows]


@pytest.fixture(scope="module")
def outage_db() -> Iterator[StoppableServer]:
    with stoppable_server() as server:
        yield server


def test_a_task_interrupted_by_an_outage_runs_again_when_the_database_returns(
    outage_db: StoppableServer,
) -> None:
    attempts: list[int] = []

    def work(counts: Counts) -> None:
        attempts.append(1)
        if len(attempts) == 1:  # the database stops under the first attempt
            outage_db.stop()
            threading.Timer(2.0, outage_db.start).start()
            with connect(outage_db.url, vectors=False) as conn:
                conn.execute("SELECT 1")
        counts["done"] = True

    run_guarded(outage_db.url, TaskName.CLEANUP_ALL, None, work, args=(), policy=FAST)
    runs = _runs(outage_db.url)[-2:]
    assert [(task, status) for task, status, _, _ in runs] == [
        ("cleanup_all", "interrupted"),
        ("cleanup_all", "succeeded"),
    ]
    assert runs[1][2] == {"done": True, "attempt": 2}
    assert len(attempts) == 2


def test_a_task_gives_up_when_the_database_stays_away(tmp_path: Path) -> None:
    nowhere = "postgresql://nobody@127.0.0.1:1/nothing"  # nothing listens on port 1
    calls: list[int] = []
    policy = RetryPolicy(retries=2, delay_s=0, wait_s=0.3, poll_s=0.1)
    with pytest.raises(DatabaseError):
        run_guarded(nowhere, TaskName.CLEANUP_ALL, None, lambda c: calls.append(1), policy=policy)
    assert calls == []
    tasks = immediate_tasks(nowhere, tmp_path)
    assert tasks.huey.scheduled() == []  # no retry is ever queued in the failed storage


def _killed_run(url: str, task: TaskName, args: list[object]) -> None:
    """What a worker killed mid-run leaves: a `running` row whose session is gone."""
    conn = connect(url, vectors=False)
    conn.autocommit = True
    start_run(conn, task.value, args=args, lock=task.value)
    conn.close()


def test_a_run_whose_worker_died_is_closed_and_queued_again(
    db_url: str, conn: Connection, tmp_path: Path
) -> None:
    _killed_run(db_url, TaskName.CLEANUP_ALL, [])
    with logged_run(db_url, TaskName.EMBED_ALL, "embed"):  # alive: left running
        assert close_stale_runs(db_url) == 1
        statuses = [status for _, status, _, _ in _runs(db_url)]
        assert statuses == ["interrupted", "running"]
    tasks = immediate_tasks(db_url, tmp_path)
    assert recover(tasks, db_url) == 1  # immediate mode: the run happens here
    assert recover(tasks, db_url) == 0  # claimed once only
    runs = _runs(db_url)
    assert [(t, s, resumed) for t, s, _, resumed in runs] == [
        ("cleanup_all", "interrupted", True),
        ("embed_all", "succeeded", False),
        ("cleanup_all", "succeeded", False),
    ]
    tasks.huey.storage.close()


def test_a_run_interrupted_again_and_again_is_given_up(db_url: str, tmp_path: Path) -> None:
    for _ in range(5):
        _killed_run(db_url, TaskName.GENERATE_USER, [42])
    tasks = immediate_tasks(db_url, tmp_path)
    assert recover(tasks, db_url) == 0
    assert all(status == "interrupted" for _, status, _, _ in _runs(db_url))
    tasks.huey.storage.close()


@pytest.fixture
def queued_tasks(db_url: str, tmp_path: Path) -> Iterator[Tasks]:
    """Tasks queued in the test database's PostgreSQL queue; no worker runs them."""
    made = create_tasks(Settings(home=tmp_path), db_url)
    yield made
    made.huey.storage.close()


def test_triggers_of_a_queued_or_running_task_coalesce(db_url: str, queued_tasks: Tasks) -> None:
    assert trigger(db_url, "embed", queued_tasks.embed_all) is True
    assert trigger(db_url, "embed", queued_tasks.embed_all) is False  # still queued
    assert queued_tasks.huey.pending_count() == 1
    with logged_run(db_url, TaskName.EMBED_ALL, "embed"):  # the run starts: trigger consumed
        assert trigger(db_url, "embed", queued_tasks.embed_all) is False  # running
    assert trigger(db_url, "embed", queued_tasks.embed_all) is True
    assert queued_tasks.huey.pending_count() == 2
