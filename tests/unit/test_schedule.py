"""The periodic tasks are registered with Huey at the configured UTC times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

import workers.tasks  # noqa: F401  (importing it registers the periodic tasks)
from workers import schedule
from workers.queue import huey
from workers.settings import Schedule, Settings


@pytest.fixture
def default_schedule() -> Iterator[None]:
    schedule.use(Schedule())
    yield
    schedule.use(None)


def _due(hour: int, minute: int) -> set[str]:
    """Names of the periodic tasks Huey's scheduler would enqueue at that minute."""
    return {task.name for task in huey.read_periodic(datetime(2026, 3, 4, hour, minute))}


@pytest.mark.usefixtures("default_schedule")
def test_design_times() -> None:
    assert _due(0, 0) == {"cleanup_saved_jobs"}
    assert _due(0, 5) == {"cleanup_recommendations"}
    assert _due(0, 10) == {"cleanup_jobs"}
    assert _due(6, 0) == {"scrape_and_embed"}
    assert _due(7, 0) == {"generate_all_recommendations"}
    quiet = [(0, 1), (0, 6), (5, 59), (6, 1), (7, 1), (12, 0), (23, 59)]
    assert all(_due(h, m) == set() for h, m in quiet)


def test_times_move_with_the_environment() -> None:
    settings = Settings.from_env({"JOBMATCH_AT_RECOMMEND": "05:30", "JOBMATCH_HOME": "/tmp/x"})
    schedule.use(settings.schedule)
    try:
        assert _due(5, 30) == {"generate_all_recommendations"}
        assert _due(7, 0) == set()
    finally:
        schedule.use(None)


@pytest.mark.usefixtures("default_schedule")
def test_aware_times_are_read_as_utc_and_next_runs() -> None:
    due = schedule.at("scrape_and_embed")
    assert due(datetime(2026, 3, 4, 6, 0, tzinfo=UTC))
    now = datetime(2026, 3, 4, 6, 30, tzinfo=UTC)
    runs = schedule.next_runs(now)
    assert runs["scrape_and_embed"] == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
    assert runs["generate_all_recommendations"] == datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
    assert schedule.next_run("cleanup_jobs", datetime(2026, 3, 4, 0, 10, tzinfo=UTC)) == (
        datetime(2026, 3, 5, 0, 10, tzinfo=UTC)
    )
