"""`GET /health`: the process is up and the database answers."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State

from server.db import Database, DatabaseUnavailableError
from server.routes.common import with_errors
from server.schemas import Health


@with_errors(503)
class HealthController(Controller):
    path = "/health"
    tags = ("health",)

    @get("/", summary="Liveness and database reachability")
    async def health(self, state: State) -> Health:
        """`ok` when the database's pulse (a round trip every 0.5 s, `server.pulse`)
        answered within the last 2 s; else 503 at once (`database unreachable`, with
        `Retry-After`). Read from memory: no connection, no thread, no wait."""
        database: Database = state.database
        problem = database.problem()
        if problem is not None:
            raise DatabaseUnavailableError(problem)
        return Health(status="ok", database="reachable")
