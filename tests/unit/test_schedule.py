"""The periodic tasks are registered with Huey at the configured UTC times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from workers import schedule
from workers.pipelines.runs import TaskName
from workers.settings import Schedule, Settings
from workers.tasks import RECOVER, Tasks, create_tasks

NOWHERE = "postgresql://nobody@127.0.0.1:1/nothing"  # registering tasks connects to nothing


def _tasks(settings: Settings) -> Tasks:
    return create_tasks(settings, NOWHERE)


def _due(tasks: Tasks, hour: int, minute: int) -> set[str]:
    """Names of the scheduled tasks Huey would enqueue at that minute (not the recovery
    sweep, which runs every minute)."""
    due = tasks.huey.read_periodic(datetime(2026, 3, 4, hour, minute))
    return {task.name for task in due} - {RECOVER}


def test_the_recovery_sweep_runs_every_minute(tmp_path: Path) -> None:
    tasks = _tasks(Settings(home=tmp_path))
    for hour, minute in [(0, 0), (3, 17), (23, 59)]:
        due = tasks.huey.read_periodic(datetime(2026, 3, 4, hour, minute))
        assert RECOVER in {task.name for task in due}


def test_design_times(tmp_path: Path) -> None:
    tasks = _tasks(Settings(home=tmp_path))
    assert _due(tasks, 0, 0) == {"cleanup_saved_jobs"}
    assert _due(tasks, 0, 5) == {"cleanup_recommendations"}
    assert _due(tasks, 0, 10) == {"cleanup_jobs"}
    assert _due(tasks, 6, 0) == {"scrape_and_embed"}
    assert _due(tasks, 7, 0) == {"generate_all_recommendations"}
    assert _due(tasks, 8, 0) == {"send_digests"}  # after the lists are made
    assert _due(tasks, 7, 30) == {"check_closed"}
    quiet = [(0, 1), (0, 6), (5, 59), (6, 1), (7, 1), (7, 31), (8, 1), (12, 0), (23, 59)]
    assert all(_due(tasks, h, m) == set() for h, m in quiet)


def test_times_move_with_the_environment() -> None:
    settings = Settings.from_env({"JOBMATCH_AT_RECOMMEND": "05:30", "JOBMATCH_HOME": "/tmp/x"})
    tasks = _tasks(settings)
    assert _due(tasks, 5, 30) == {"generate_all_recommendations"}
    assert _due(tasks, 7, 0) == set()
    moved = _tasks(Settings.from_env({"JOBMATCH_AT_DIGEST": "09:15", "JOBMATCH_HOME": "/tmp/x"}))
    assert _due(moved, 9, 15) == {"send_digests"}
    assert _due(moved, 8, 0) == set()


def test_aware_times_are_read_as_utc_and_next_runs() -> None:
    default = Schedule()
    due = schedule.at(default, TaskName.SCRAPE_AND_EMBED)
    assert due(datetime(2026, 3, 4, 6, 0, tzinfo=UTC))
    now = datetime(2026, 3, 4, 6, 30, tzinfo=UTC)
    runs = schedule.next_runs(default, now)
    assert runs[TaskName.SCRAPE_AND_EMBED] == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
    assert runs[TaskName.GENERATE_ALL] == datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
    after = datetime(2026, 3, 4, 0, 10, tzinfo=UTC)
    assert schedule.next_run(default, TaskName.CLEANUP_JOBS, after) == (
        datetime(2026, 3, 5, 0, 10, tzinfo=UTC)
    )


def test_queued_messages_keep_their_task_names(tmp_path: Path) -> None:
    """Messages already in a queue name tasks as `workers.tasks.<task>`: every task is
    registered under that name, one per `TaskName`, and the recovery sweep."""
    registry = _tasks(Settings(home=tmp_path)).huey._registry._registry
    names = {f"workers.tasks.{name}" for name in [*TaskName, RECOVER]}
    assert set(registry) == names
