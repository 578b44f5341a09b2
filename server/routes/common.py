"""What the controllers share: injected parameters, paging bounds and the task queue."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

from litestar.di import Dependency
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter, SkipValidationMarker

from schema.database import Connection
from schema.queries.users import User
from server.schemas import ErrorBody
from workers.pipelines.runs import trigger
from workers.tasks import Tasks

# Handler parameters injected by name (see `create_app`), typed but not re-validated.
Db = Annotated[Connection, Dependency(kind="named"), SkipValidationMarker()]
CurrentUser = Annotated[User, Dependency(kind="named"), SkipValidationMarker()]
log = logging.getLogger("jobmatch.api")
P = ParamSpec("P")
C = TypeVar("C")

# Path ids are BIGINT: anything outside is refused (400) before it reaches SQL. The bound
# is the largest double below 2**63 - 1, so the OpenAPI document (JSON numbers are
# doubles) states exactly the bound enforced.
MAX_ID = 2**63 - 1024
JobId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="a job's id")]
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="items per page")]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000, description="items to skip")]

ERROR_MEANINGS = {
    400: "malformed input: a parameter or body out of its bounds, or a NUL character",
    401: "no bearer token, or an invalid or revoked one",
    403: "the admin API is disabled (JOBMATCH_ADMIN_TOKEN unset)",
    404: "no such thing, or it is not yours",
    409: "a conflict with what exists (already applied, no CV yet)",
    413: "the body or file is too large",
    415: "an unsupported, damaged or password-protected file",
    422: "a value the database refuses, or a file with no text or too costly to read",
    429: "too many attempts; wait for Retry-After seconds",
    503: "the database is unreachable or too slow; retry after Retry-After seconds",
}


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """The OpenAPI entries of these error statuses, each with the error body."""
    return {
        code: ResponseSpec(ErrorBody, description=ERROR_MEANINGS[code], generate_examples=False)
        for code in codes
    }


def with_errors(*codes: int) -> Callable[[type[C]], type[C]]:
    """Declare these error statuses on every route of a controller (kept with any the
    route declares itself)."""

    def declare(controller: type[C]) -> type[C]:
        for handler in vars(controller).values():
            if isinstance(handler, HTTPRouteHandler):
                handler.responses = {**error_responses(*codes), **(handler.responses or {})}
        return controller

    return declare


# A frontend polls while a list is generating: one enqueue per user per this many seconds.
REQUEUE_AFTER_S = 120.0


class TaskQueue:
    """The worker's tasks as the API calls them: an enqueue that fails (queue storage
    down) is logged and reported as not queued, never failing the request; the nightly
    run then does the work. A trigger of a task already queued or running joins it
    (`trigger`). One user's regeneration is queued at most once per `REQUEUE_AFTER_S`
    per process, however often a frontend polls."""

    def __init__(self, tasks: Tasks, url: str) -> None:
        self.tasks, self.url = tasks, url
        self._lock = threading.Lock()
        self._recent: dict[int, float] = {}

    def trigger(
        self, lock: str, task: Callable[P, object], *args: P.args, **kwargs: P.kwargs
    ) -> str:
        """Queue `task(*args)` unless a run under `lock` is queued or running:
        `queued`, `joined` (coalesced with that run) or `unavailable`."""
        try:
            queued = trigger(self.url, lock, lambda: task(*args, **kwargs))
        except Exception:
            log.exception("could not queue %s%r", getattr(task, "name", task), args)
            return "unavailable"
        return "queued" if queued else "joined"

    def submit(self, task: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> bool:
        """Call `task(*args)`, which enqueues it; False when that failed."""
        try:
            task(*args, **kwargs)
        except Exception:
            log.exception("could not queue %s%r", getattr(task, "name", task), args)
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
        outcome = self.trigger(f"user-{user_id}", self.tasks.generate_user_recommendations, user_id)
        queued = outcome != "unavailable"
        if not queued:
            with self._lock:
                self._recent.pop(user_id, None)
        return queued

    def forget(self, user_id: int) -> None:
        """Drop the throttle for a user (a new CV must queue its own generation)."""
        with self._lock:
            self._recent.pop(user_id, None)
