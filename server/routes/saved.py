"""Saved jobs: `POST, DELETE /jobs/{job_id}/save` and `GET /users/me/saved-jobs`."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_201_CREATED

from schema.queries.saved_jobs import save_job, saved_jobs, unsave_job
from server.routes.common import CurrentUser, Db, JobId, Limit, Offset, with_errors
from server.schemas import SavedJob, SavedJobs, SavedMark, job_from_row


@with_errors(400, 401, 404, 429, 503)
class SavedJobsController(Controller):
    path = "/"
    tags = ("saved jobs",)

    @post(
        "/jobs/{job_id:int}/save",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Save a job for 10 days",
    )
    def save(self, db: Db, user: CurrentUser, job_id: JobId) -> SavedMark:
        """Saving again restarts the 10 days."""
        mark = save_job(db, user.id, job_id)
        if mark is None:
            raise NotFoundException(f"no job with id {job_id}")
        return SavedMark(job_id=mark.job_id, saved_at=mark.saved_at, expires_at=mark.expires_at)

    @delete("/jobs/{job_id:int}/save", sync_to_thread=True, summary="Forget a saved job")
    def unsave(self, db: Db, user: CurrentUser, job_id: JobId) -> None:
        if not unsave_job(db, user.id, job_id):
            raise NotFoundException(f"you have not saved job {job_id}")

    @get("/users/me/saved-jobs", sync_to_thread=True, summary="The caller's saved jobs")
    def list_saved(
        self, db: Db, user: CurrentUser, offset: Offset = 0, limit: Limit = 50
    ) -> SavedJobs:
        rows = saved_jobs(db, user.id, limit=limit, offset=offset)
        items = [
            SavedJob(
                saved_at=r.saved_at,
                expires_at=r.expires_at,
                job=job_from_row(r),
                job_closed_at=r.job_closed_at,
            )
            for r in rows
        ]
        return SavedJobs(items=items, offset=offset, limit=limit)
