"""`POST /jobs/{job_id}/feedback`: an up or down vote; down hides the job from the caller,
and either moves the caller's next list (regenerated right after the vote)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.status_codes import HTTP_201_CREATED

from schema.database import Connection
from schema.queries.feedback import Feedback, record_feedback
from schema.queries.named_cvs import named_cv
from server.routes.common import CurrentUser, Db, JobId, TaskQueue, with_errors
from server.schemas import FeedbackIn, FeedbackOut


def cast_vote(
    db: Connection,
    queue: TaskQueue,
    user_id: int,
    job_id: int,
    *,
    vote: str,
    reason: str,
    cv_id: int | None = None,
) -> Feedback | None:
    """Record the vote on the list of the named CV `cv_id` (default: the active one;
    404 when not the user's), None when there is no such job; then queue the user's
    lists to be regenerated with it counted. Every door's vote."""
    if cv_id is not None and named_cv(db, user_id, cv_id) is None:
        raise NotFoundException(f"you have no CV with id {cv_id}")
    row = record_feedback(db, user_id, job_id, vote, reason, named_cv_id=cv_id)
    if row is not None:
        queue.forget(user_id)
        queue.generate_for_user(user_id)
    return row


@with_errors(400, 401, 404, 429, 503)
class FeedbackController(Controller):
    path = "/jobs"
    tags = ("feedback",)

    @post(
        "/{job_id:int}/feedback",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Vote a job up or down",
    )
    def vote(
        self,
        db: Db,
        state: State,
        user: CurrentUser,
        job_id: JobId,
        data: Annotated[FeedbackIn, Body()],
    ) -> FeedbackOut:
        """A second vote replaces the first; a down vote removes the job from every list
        of the caller now. The list of the named CV `cv_id` (default: the active one) is
        then regenerated with the vote counted (jobs like a liked one rise, jobs like a
        disliked one fall); the other CVs' lists are not steered by it."""
        row = cast_vote(
            db,
            state.queue,
            user.id,
            job_id,
            vote=data.vote,
            reason=data.reason.strip(),
            cv_id=data.cv_id,
        )
        if row is None:
            raise NotFoundException(f"no job with id {job_id}")
        return FeedbackOut(
            job_id=row.job_id, vote=row.vote, reason=row.reason, created_at=row.created_at
        )
