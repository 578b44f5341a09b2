"""When the periodic tasks run: UTC times from `Settings.schedule`.

Huey checks each periodic task once a minute with a `validate_datetime(now)` function;
ours compare the hour and minute with the configured time (`JOBMATCH_AT_<TASK>`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from workers.pipelines.runs import TaskName
from workers.settings import Schedule

# Periodic task -> the `Schedule` field holding its time.
PERIODIC: dict[TaskName, str] = {
    TaskName.CLEANUP_SAVED_JOBS: "cleanup_saved_jobs",
    TaskName.CLEANUP_RECOMMENDATIONS: "cleanup_recommendations",
    TaskName.CLEANUP_JOBS: "cleanup_jobs",
    TaskName.SCRAPE_AND_EMBED: "scrape",
    TaskName.GENERATE_ALL: "recommend",
    TaskName.SEND_DIGESTS: "digest",
    TaskName.CHECK_CLOSED: "check_closed",
}


def time_of(schedule: Schedule, task: TaskName) -> tuple[int, int]:
    """(hour, minute) UTC of a periodic task."""
    hour, minute = getattr(schedule, PERIODIC[task])
    return int(hour), int(minute)


def at(schedule: Schedule, task: TaskName) -> Callable[[datetime], bool]:
    """Huey's `validate_datetime` for `task`: true in the minute it is due.

    Huey passes naive UTC datetimes (its `utc=True`); aware ones are converted.
    """
    when = time_of(schedule, task)

    def due(moment: datetime) -> bool:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return (moment.hour, moment.minute) == when

    due.__name__ = f"at_{task.value}"
    return due


def next_run(schedule: Schedule, task: TaskName, after: datetime) -> datetime:
    """The first due time of `task` strictly after `after` (aware UTC)."""
    after = after.astimezone(UTC)
    hour, minute = time_of(schedule, task)
    candidate = after.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > after else candidate + timedelta(days=1)


def next_runs(schedule: Schedule, after: datetime) -> dict[TaskName, datetime]:
    """The next due time of every periodic task."""
    return {task: next_run(schedule, task, after) for task in PERIODIC}
