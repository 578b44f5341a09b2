"""The logic behind `GET /jobs/recommendations` and `GET /jobs/search` (kept out of the
controller so each stays short)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar.datastructures import State
from litestar.exceptions import NotFoundException

from embeddings.model import Embedder
from schema.database import Connection
from schema.queries.experiments import record_view
from schema.queries.job_listing import jobs_by_ids
from schema.queries.list_pages import ListState, read_list
from schema.queries.models import EmbeddingModel, active_model
from server.routes.common import log
from server.schemas import RecommendationsEnvelope, SearchHit, SearchResults, job_from_row
from workers.pipelines.serving import Embedders

NO_CV = "upload a CV with PUT /api/v1/users/me/cv to get recommendations"
GENERATING = "your recommendations are being generated; ask again in a minute"
READY = "your recommendations are ready"
NOTHING_FITS = (
    "no job fits your CV, your preferences and your votes right now; new jobs arrive every morning"
)


def list_status(state: ListState, now: datetime) -> str:
    """`no_cv`, `generating` (missing, expired, older than the CV, another model's, or
    every job of it deleted since), or `ready` (possibly empty: nothing fitted the CV,
    the filters and the votes); derived from stored rows only, no extra state."""
    if state.cv_id is None:
        return "no_cv"
    if (
        (state.total == 0 and state.listed > 0)
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
    user_id: int,
    *,
    cv_id: int | None = None,
    remote: bool | None,
    location: str | None,
    offset: int,
    limit: int,
    min_salary: float | None = None,
) -> tuple[bytes, bool]:
    """The JSON of `Recommendations` for the list of the named CV `cv_id` (default: the
    active one; the small CV check and one indexed read, in one round trip) and whether
    the caller should queue a generation. A stale list that has not expired is still
    shown while its successor is generated. 404 when `cv_id` is not one of the user's."""
    now = datetime.now(UTC)
    state = read_list(
        db,
        user_id,
        cv_id=cv_id,
        remote=remote,
        location=location,
        min_salary=min_salary,
        offset=offset,
        limit=limit,
    )
    if cv_id is not None and state.named_cv_id is None:
        raise NotFoundException(f"you have no CV with id {cv_id}")
    status = list_status(state, now)
    showable = _shown(db, user_id, state, status, now)
    # The page read filters expired rows itself; a user without a CV is never shown scores.
    items = state.items if showable else b"[]"
    envelope = RecommendationsEnvelope(
        status=status,
        detail=_detail(status, state),
        generated_at=state.generated_at if showable else None,
        expires_at=state.expires_at if showable else None,
        model=state.model if showable else None,
        total=state.total if showable else 0,
        offset=offset,
        limit=limit,
        items=msgspec.Raw(items),
        cv_id=state.named_cv_id,
    )
    return msgspec.json.encode(envelope), status == "generating"


def _shown(db: Connection, user_id: int, state: ListState, status: str, now: datetime) -> bool:
    """Whether the list is shown; the first showing of each list is kept (`list_views`:
    which model made what the user saw), so later reads write nothing."""
    showable = status != "no_cv" and state.expires_at is not None and state.expires_at > now
    if (
        showable
        and not state.seen
        and state.generated_at is not None
        and state.named_cv_id is not None
    ):
        record_view(db, user_id, state.named_cv_id, state.generated_at)
    return showable


def _detail(status: str, state: ListState) -> str:
    if status == "ready" and state.listed == 0:
        return NOTHING_FITS
    return {"ready": READY, "generating": GENERATING, "no_cv": NO_CV}[status]


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
    """Hybrid search (vectors fused with full text) under the active model; full text
    alone until jobs have vectors under a model this process can encode queries with."""
    from schema.queries.search import SearchFilters, search_jobs

    model = active_model(db)
    embedder = _embedder(state, model) if model is not None else None
    vector = embedder.encode([query])[0] if embedder is not None else None
    hits = search_jobs(
        db,
        model_id=model.id if model is not None else None,
        dimension=model.dimension if model is not None else None,
        query_vector=vector,
        query_text=query,
        filters=SearchFilters(
            remote=remote, location=location, posted_since=posted_since, min_salary=min_salary
        ),
        limit=limit,
    )
    # The fused list carries no description: the snippets come in one read by id.
    jobs = jobs_by_ids(db, [hit.job_id for hit in hits])
    items = [
        SearchHit(score=round(hit.score, 5), job=job_from_row(jobs[hit.job_id]))
        for hit in hits
        if hit.job_id in jobs
    ]
    return SearchResults(
        query=query, mode="hybrid" if vector is not None else "full_text", items=items
    )


def _embedder(state: State, model: EmbeddingModel) -> Embedder | None:
    """An embedder for the active `model`, or None (logged) when this process cannot
    encode queries comparable with its vectors."""
    embedders: Embedders = state.embedders
    embedder = embedders.for_queries(model)
    if embedder is None:
        log.warning("search: cannot encode queries for the active model %s here", model.name)
    return embedder
