"""The logic behind `GET /jobs/recommendations` and `GET /jobs/search` (kept out of the
controller so each stays short)."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar.datastructures import State

from schema.queries.recommendation_reads import ListState, list_state, recommended_page
from server.routes.common import Db, TaskQueue
from server.schemas import Recommendation, Recommendations, SearchResults, job_from_row

NO_CV = "upload a CV with PUT /api/v1/users/me/cv to get recommendations"
GENERATING = "your recommendations are being generated; ask again in a minute"
READY = "your recommendations are ready"


def list_status(state: ListState, now: datetime) -> str:
    """`no_cv`, `generating` (missing, expired, older than the CV, or another model's),
    or `ready`; derived from stored rows only, no extra state."""
    if state.cv_id is None:
        return "no_cv"
    if (
        state.total == 0
        or state.generated_at is None
        or state.expires_at is None
        or state.expires_at <= now
        or (state.cv_created_at is not None and state.generated_at < state.cv_created_at)
        or not state.model_is_active
    ):
        return "generating"
    return "ready"


def read_recommendations(
    db: Db,
    queue: TaskQueue,
    user_id: int,
    *,
    remote: bool | None,
    location: str | None,
    offset: int,
    limit: int,
) -> Recommendations:
    """The envelope and a page of the stored list: the CV check and one indexed read.

    A stale list that has not expired is still shown while its successor is generated.
    """
    now = datetime.now(UTC)
    state = list_state(db, user_id)
    status = list_status(state, now)
    if status == "no_cv":
        return Recommendations("no_cv", NO_CV, None, None, None, 0, offset, limit, [])
    if status == "generating":
        queue.generate_for_user(user_id)
    showable = state.total > 0 and state.expires_at is not None and state.expires_at > now
    rows = (
        recommended_page(db, user_id, remote=remote, location=location, offset=offset, limit=limit)
        if showable
        else []
    )
    items = [
        Recommendation(
            rank=r.rank, match_score=round(r.score, 4), match_reason=r.reason, job=job_from_row(r)
        )
        for r in rows
    ]
    return Recommendations(
        status=status,  # type: ignore[arg-type]
        detail=READY if status == "ready" else GENERATING,
        generated_at=state.generated_at if showable else None,
        expires_at=state.expires_at if showable else None,
        model=state.model if showable else None,
        total=state.total if showable else 0,
        offset=offset,
        limit=limit,
        items=items,
    )


def search(
    db: Db,
    state: State,
    query: str,
    *,
    remote: bool | None,
    location: str | None,
    min_salary: float | None,
    posted_since: datetime | None,
    limit: int,
) -> SearchResults:
    """Hybrid search over jobs (issue 4's `search_jobs`); wired when it lands."""
    raise NotImplementedError
