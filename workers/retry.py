"""How a task survives a database outage: it waits for the database and runs again.

Huey's own retry re-queues the task in the queue's storage, which is the database that
just failed: during an outage the retry is lost with it. So the retry loop lives in the
task: after a transient failure (the database unreachable, a connection dropped) the
task waits until the database answers, at least `delay_s` after the failure, and runs
again, up to `retries` times. If the database does not come back within `wait_s`, or the
worker itself dies, the run's row is closed as `interrupted` and the recovery sweep
(`workers.tasks`) queues the task again once the database answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from huey.exceptions import CancelExecution

from workers.pipelines.runs import (
    TRANSIENT,
    AlreadyRunningError,
    Counts,
    RunRef,
    TaskName,
    claim_for_retry,
    logged_run,
    wait_for_database,
)

log = logging.getLogger("jobmatch.tasks")


@dataclass(frozen=True)
class RetryPolicy:
    """Retries after transient failures: how many, the least pause, how long to wait for
    the database, and how often to ask it whether it is back."""

    retries: int = 3
    delay_s: float = 10.0
    wait_s: float = 600.0
    poll_s: float = 1.0


DEFAULT_POLICY = RetryPolicy()


def run_guarded(
    url: str,
    task: TaskName,
    lock: str | None,
    work: Callable[[Counts], None],
    *,
    args: Sequence[object] = (),
    policy: RetryPolicy = DEFAULT_POLICY,
) -> None:
    """Run `work(counts)` under `logged_run`, translated for Huey: a held lock is a
    recorded skip; a transient error waits for the database and runs again (the failed
    run closed as `interrupted`); any other error is recorded and cancels the task."""
    for attempt in range(policy.retries + 1):
        run = RunRef()
        try:
            with logged_run(url, task, lock, args=args, run=run) as counts:
                if attempt:
                    counts["attempt"] = attempt + 1
                work(counts)
            return
        except AlreadyRunningError:
            return
        except TRANSIENT as error:
            if attempt == policy.retries or not _database_back(url, policy):
                raise
            if run.id is not None and not claim_for_retry(url, run.id, error):
                return  # the recovery sweep queued it again first
            log.warning("%s: retrying after %s", task.value, type(error).__name__)
        except Exception as error:
            raise CancelExecution(retry=False) from error


def _database_back(url: str, policy: RetryPolicy) -> bool:
    time.sleep(policy.delay_s)
    return wait_for_database(url, policy.wait_s, policy.poll_s)
