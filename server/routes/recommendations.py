"""The logic behind `GET /jobs/recommendations` and `GET /jobs/search` (kept out of the
controller so each stays short)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar.datastructures import State

from schema.queries.recommendation_reads import ListState, list_state, recommended_page_json
from server.routes.common import Connection, TaskQueue
from server.schemas import RecommendationsEnvelope, SearchResults

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
    db: Connection,
    queue: TaskQueue,
    user_id: int,
    *,
    remote: bool | None,
    location: str | None,
    offset: int,
    limit: int,
) -> bytes:
    """The JSON of `Recommendations`: the small CV check and one indexed read.

    A stale list that has not expired is still shown while its successor is generated.
    """
    now = datetime.now(UTC)
    state = list_state(db, user_id)
    status = list_status(state, now)
    if status == "generating":
        queue.generate_for_user(user_id)
    showable = status != "no_cv" and state.total > 0 and state.expires_at is not None
    showable = showable and state.expires_at is not None and state.expires_at > now
    items = (
        recommended_page_json(
            db, user_id, remote=remote, location=location, offset=offset, limit=limit
        )
        if showable
        else "[]"
    )
    envelope = RecommendationsEnvelope(
        status=status,
        detail={"ready": READY, "generating": GENERATING, "no_cv": NO_CV}[status],
        generated_at=state.generated_at if showable else None,
        expires_at=state.expires_at if showable else None,
        model=state.model if showable else None,
        total=state.total if showable else 0,
        offset=offset,
        limit=limit,
        items=msgspec.Raw(items.encode()),
    )
    return msgspec.json.encode(envelope)


def search(
    db: Connection,
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
