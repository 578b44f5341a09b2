"""A new CV: stored as the user's active one, then embedded and turned into their list.

Storing is immediate (the API answers at once); processing follows, in the worker for an
upload and inline for `jobmatch cv add`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from embeddings.model import Embedder
from embeddings.text import TextOptions
from schema.database import connection
from schema.queries.cvs import CV, replace_active_cv
from schema.queries.generation_reads import active_cv_owner
from workers.pipelines.embed import embed_cv
from workers.pipelines.recommend import RecommendSummary, generate_for_user


@dataclass(frozen=True)
class ProcessedCv:
    """What processing a CV did: whether it embedded it, and the owner's new list."""

    cv_id: int
    embedded: bool
    user_id: int | None = None
    recommendations: RecommendSummary | None = None
    skipped: str | None = None

    def counts(self) -> dict[str, object]:
        """The result as `task_runs.counts`."""
        counts: dict[str, object] = {"cv_id": self.cv_id, "embedded": self.embedded}
        if self.user_id is not None:
            counts["user_id"] = self.user_id
        if self.recommendations is not None:
            counts.update(self.recommendations.counts())
        if self.skipped:
            counts["skipped"] = self.skipped
        return counts


def store_cv(url: str, user_id: int, text: str, filename: str | None) -> CV:
    """Make `text` the user's active CV (the previous one is kept, inactive)."""
    with connection(url) as conn:
        return replace_active_cv(conn, user_id, text, filename=filename)


def process_new_cv(
    url: str,
    embedder: Embedder,
    options: TextOptions,
    cv_id: int,
    *,
    also: Sequence[tuple[Embedder, TextOptions]] = (),
) -> ProcessedCv:
    """Embed the CV (also under `also`: a running experiment's shadow model), then
    regenerate its owner's list; nothing when it was replaced."""
    embedded = embed_cv(url, embedder, cv_id, text_options=options)
    for other, other_options in also:
        embed_cv(url, other, cv_id, text_options=other_options)
    with connection(url) as conn:
        owner = active_cv_owner(conn, cv_id)
    if owner is None:
        skipped = "the CV was replaced or deleted before it was processed"
        return ProcessedCv(cv_id, embedded, skipped=skipped)
    return ProcessedCv(cv_id, embedded, owner, generate_for_user(url, owner))
