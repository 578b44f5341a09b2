"""`GET /health`: the process is up and the database answers."""

from __future__ import annotations

from litestar import Controller, get

from server.routes.common import Db
from server.schemas import Health


class HealthController(Controller):
    path = "/health"
    tags = ("health",)

    @get("/", sync_to_thread=False, summary="Liveness and database reachability")
    def health(self, db: Db) -> Health:
        """`ok` when a query round-trips; a down database answers 503 via the error handler.

        On the event loop: `SELECT 1` takes less time than a hand-off to a thread.
        """
        db.execute("SELECT 1")
        return Health(status="ok", database="reachable")
