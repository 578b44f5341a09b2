"""When the periodic tasks run: UTC times from `Settings.schedule`, read when first needed.

Huey checks each periodic task once a minute with a `validate_datetime(now)` function;
ours compare the hour and minute with the configured time, so a changed
`JOBMATCH_AT_<TASK>` takes effect without code changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from workers.settings import Schedule, Settings

# The schedule this process uses; a dict so it can be set without `global`.
_state: dict[str, Schedule] = {}

# Periodic task name -> the `Schedule` field holding its time.
PERIODIC = {
    "cleanup_saved_jobs": "cleanup_saved_jobs",
    "cleanup_recommendations": "cleanup_recommendations",
    "cleanup_jobs": "cleanup_jobs",
    "scrape_and_embed": "scrape",
    "generate_all_recommendations": "recommend",
}


def use(schedule: Schedule | None) -> None:
    """Fix the schedule of this process (`jobmatch worker` passes its settings'); None
    to read the environment again."""
    if schedule is None:
        _state.pop("schedule", None)
    else:
        _state["schedule"] = schedule


def current() -> Schedule:
    """The schedule in force."""
    if "schedule" not in _state:
        _state["schedule"] = Settings.from_env().schedule
    return _state["schedule"]


def time_of(task: str) -> tuple[int, int]:
    """(hour, minute) UTC of a periodic task."""
    hour, minute = getattr(current(), PERIODIC[task])
    return int(hour), int(minute)


def at(task: str) -> Callable[[datetime], bool]:
    """Huey's `validate_datetime` for `task`: true in the minute it is due.

    Huey passes naive UTC datetimes (its `utc=True`); aware ones are converted.
    """

    def due(moment: datetime) -> bool:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return (moment.hour, moment.minute) == time_of(task)

    due.__name__ = f"at_{task}"
    return due


def next_run(task: str, after: datetime) -> datetime:
    """The first due time of `task` strictly after `after` (aware UTC)."""
    after = after.astimezone(UTC)
    hour, minute = time_of(task)
    candidate = after.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > after else candidate + timedelta(days=1)


def next_runs(after: datetime) -> dict[str, datetime]:
    """The next due time of every periodic task."""
    return {task: next_run(task, after) for task in PERIODIC}
