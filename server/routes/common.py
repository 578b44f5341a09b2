"""What the controllers share: the connection type, paging bounds and the task queue."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

import psycopg
from litestar.di import Dependency
from litestar.params import PathParameter, QueryParameter, SkipValidationMarker

from schema.queries.users import User

Connection = psycopg.Connection[tuple[object, ...]]
# Handler parameters injected by name (see `create_app`), typed but not re-validated.
Db = Annotated[Connection, Dependency(kind="named"), SkipValidationMarker()]
CurrentUser = Annotated[User, Dependency(kind="named"), SkipValidationMarker()]
log = logging.getLogger("jobmatch.api")

# Path ids are BIGINT: anything outside is refused (400) before it reaches SQL.
JobId = Annotated[int, PathParameter(ge=1, le=2**63 - 1, description="a job's id")]
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="items per page")]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000, description="items to skip")]

# A frontend polls while a list is generating: one enqueue per user per this many seconds.
REQUEUE_AFTER_S = 120.0


class TaskQueue:
    """Queues the worker's tasks (issue 5's `workers.tasks`), imported on first use.

    An enqueue that fails (no worker module, queue storage down) is logged and reported
    as not queued; the nightly run then does the work. It never fails the request.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recent: dict[int, float] = {}

    def enqueue(self, task_name: str, *args: Any) -> bool:
        """Call `workers.tasks.<task_name>(*args)`, which enqueues it; False when it failed."""
        try:
            from workers import tasks

            task: Callable[..., Any] = getattr(tasks, task_name)
            task(*args)
        except Exception:
            log.exception("could not queue %s%r", task_name, args)
            return False
        return True

    def generate_for_user(self, user_id: int) -> bool:
        """Queue one user's generation, at most once per `REQUEUE_AFTER_S` per process."""
        now = time.monotonic()
        with self._lock:
            last = self._recent.get(user_id)
            if last is not None and now - last < REQUEUE_AFTER_S:
                return True
            self._recent[user_id] = now
        queued = self.enqueue("generate_user_recommendations", user_id)
        if not queued:
            with self._lock:
                self._recent.pop(user_id, None)
        return queued

    def forget(self, user_id: int) -> None:
        """Drop the throttle for a user (a new CV must queue its own generation)."""
        with self._lock:
            self._recent.pop(user_id, None)
