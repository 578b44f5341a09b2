"""`GET /health`: the process is up and the database answers."""

from __future__ import annotations

from litestar import Controller, get

from server.routes.common import Db, with_errors
from server.schemas import Health


@with_errors(503)
class HealthController(Controller):
    path = "/health"
    tags = ("health",)

    @get("/", sync_to_thread=True, summary="Liveness and database reachability")
    def health(self, db: Db) -> Health:
        """`ok` when a query round-trips; an unreachable database answers 503 at once
        (`database unreachable`, with `Retry-After`) via the connection gate."""
        db.execute("SELECT 1")
        return Health(status="ok", database="reachable")
