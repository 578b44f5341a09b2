"""Applications: `POST /jobs/{job_id}/applications` and `GET /users/me/applications`."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import Body
from litestar.status_codes import HTTP_201_CREATED

from schema.queries.applications import AlreadyAppliedError, applications, apply
from server.routes.common import CurrentUser, Db, JobId, Limit, Offset, with_errors
from server.schemas import (
    ApplicationIn,
    ApplicationItem,
    ApplicationOut,
    Applications,
    job_from_row,
)


@with_errors(400, 401, 404, 409, 429, 503)
class ApplicationsController(Controller):
    path = "/"
    tags = ("applications",)

    @post(
        "/jobs/{job_id:int}/applications",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Record an application (protects the job from cleanup)",
    )
    def apply(
        self,
        db: Db,
        user: CurrentUser,
        job_id: JobId,
        data: Annotated[ApplicationIn | None, Body()] = None,
    ) -> ApplicationOut:
        """409 when the caller already applied to this job."""
        note = data.note if data is not None else ""
        try:
            row = apply(db, user.id, job_id, note)
        except AlreadyAppliedError as error:
            raise ClientException(str(error), status_code=409) from None
        if row is None:
            raise NotFoundException(f"no job with id {job_id}")
        return ApplicationOut(
            id=row.id,
            job_id=row.job_id,
            status=row.status,
            note=row.note,
            applied_at=row.applied_at,
        )

    @get("/users/me/applications", sync_to_thread=True, summary="The caller's applications")
    def list_applications(
        self, db: Db, user: CurrentUser, offset: Offset = 0, limit: Limit = 50
    ) -> Applications:
        rows = applications(db, user.id, limit=limit, offset=offset)
        items = [
            ApplicationItem(
                id=r.application_id,
                status=r.status,
                note=r.note,
                applied_at=r.applied_at,
                job=job_from_row(r),
                job_closed_at=r.job_closed_at,
            )
            for r in rows
        ]
        return Applications(items=items, offset=offset, limit=limit)
