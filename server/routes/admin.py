"""`/admin`: manual triggers of the worker's tasks and the run log; the admin token only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_202_ACCEPTED

from schema.queries.job_checks import check_counts
from schema.queries.models import active_model
from schema.queries.runs import TaskRun, last_run_per_task, recent_runs
from schema.queries.status import migration_level, table_row_counts
from server.auth import require_admin
from server.routes.common import Db, TaskQueue, error_responses, with_errors
from server.schemas import AdminStatus, PostingChecksOut, Queued, TaskRunOut
from workers.pipelines.experiments import report_from
from workers.pipelines.runs import TaskName, close_stale_runs
from workers.tasks import TRIGGER_LOCKS, Tasks

DETAILS = {
    "queued": "queued; see GET /api/v1/admin/status",
    "joined": "already queued or running: this trigger joins it; see GET /api/v1/admin/status",
    "unavailable": "the queue is unavailable; try again shortly",
}


def _trigger(state: State, pick: Callable[[Tasks], Callable[[], object]], name: TaskName) -> Queued:
    """Queue the task, or join the run of it already queued or running."""
    queue: TaskQueue = state.queue
    outcome = queue.trigger(TRIGGER_LOCKS[name], pick(queue.tasks))
    return Queued(
        task=name,
        queued=outcome != "unavailable",
        detail=DETAILS[outcome],
        coalesced=outcome == "joined",
    )


def _run_out(run: TaskRun) -> TaskRunOut:
    return TaskRunOut(
        id=run.id,
        task=run.task,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status=run.status,
        counts=dict(run.counts),
        error=run.error,
    )


@with_errors(401, 403, 429, 503)
class AdminController(Controller):
    path = "/admin"
    tags = ("admin",)
    guards = (require_admin,)

    @post("/scrape", status_code=HTTP_202_ACCEPTED, sync_to_thread=True)
    def scrape(self, state: State) -> Queued:
        """Scrape the configured sources, then embed what is new or changed."""
        return _trigger(state, lambda t: t.scrape_and_embed, TaskName.SCRAPE_AND_EMBED)

    @post("/embed", status_code=HTTP_202_ACCEPTED, sync_to_thread=True)
    def embed(self, state: State) -> Queued:
        """Embed every job and CV not yet embedded under the active model."""
        return _trigger(state, lambda t: t.embed_all, TaskName.EMBED_ALL)

    @post("/recommendations/generate", status_code=HTTP_202_ACCEPTED, sync_to_thread=True)
    def generate(self, state: State) -> Queued:
        """Regenerate every user's list."""
        return _trigger(state, lambda t: t.generate_all_recommendations, TaskName.GENERATE_ALL)

    @post("/cleanup", status_code=HTTP_202_ACCEPTED, sync_to_thread=True)
    def cleanup(self, state: State) -> Queued:
        """Drop expired saved jobs and lists, and old jobs nobody applied to."""
        return _trigger(state, lambda t: t.cleanup_all, TaskName.CLEANUP_ALL)

    @get("/experiments/report", sync_to_thread=True, responses=error_responses(404))
    def experiment_report(self, db: Db) -> dict[str, object]:
        """The latest model experiment: per model, save and apply rates in the top 10,
        down-vote rate and mean rank of the jobs acted on, each with a 95% interval (the
        JSON of `jobmatch models report --json`)."""
        found = report_from(db)
        if found is None:
            raise NotFoundException("no experiment yet: `jobmatch models experiment start`")
        return found.as_json()

    @get("/status", sync_to_thread=True)
    def status(self, db: Db, state: State) -> AdminStatus:
        """The active model, migrations, row counts and the run log (runs whose process
        died are closed as `interrupted` first)."""
        queue: TaskQueue = state.queue
        close_stale_runs(queue.url)
        model = active_model(db)
        return AdminStatus(
            active_model=model.name if model else None,
            migrations=migration_level(db),
            counts=table_row_counts(db),
            last_runs=[_run_out(r) for r in last_run_per_task(db)],
            recent_runs=[_run_out(r) for r in recent_runs(db, 20)],
            posting_checks=_posting_checks(db),
        )


def _posting_checks(db: Db) -> PostingChecksOut | None:
    counts = check_counts(db, datetime.now(UTC) - timedelta(days=1))
    if counts is None:
        return None
    return PostingChecksOut(
        checks=counts.checks,
        last_day=counts.last_day,
        closed_jobs=counts.closed_jobs,
        last_checked_at=counts.last_checked_at,
    )
