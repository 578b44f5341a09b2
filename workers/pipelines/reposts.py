"""Collapse reposts: near-duplicate postings of one company become one job.

Runs after embedding (the worker's nightly scrape and its embed task, `jobmatch
embed`), and alone as `jobmatch reposts`: reads the active model's vectors of the
companies with several jobs, applies `embeddings.reposts.collapse`, and makes
`jobs.duplicate_of` say what it found, in one transaction (a failure leaves the
previous grouping in place).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from embeddings.reposts import DEFAULT_THRESHOLD, Collapse, Posting, collapse
from schema.database import connection
from schema.queries.models import active_model
from schema.queries.reposts import (
    RepostCandidate,
    current_duplicates,
    repost_candidates,
    write_duplicates,
)


@dataclass
class RepostSummary:
    """What one run found (and changed, unless `dry_run`)."""

    threshold: float
    dry_run: bool
    model: str | None = None
    jobs_compared: int = 0  # jobs of companies with several embedded jobs
    pairs_considered: int = 0
    pairs_merged: int = 0
    duplicates: int = 0  # jobs now shown under another job
    changed: int = 0  # jobs whose duplicate_of this run set or cleared (would, dry run)
    skipped: str | None = None

    def counts(self) -> dict[str, object]:
        return asdict(self)


def collapse_reposts(
    url: str, *, threshold: float = DEFAULT_THRESHOLD, dry_run: bool = False
) -> RepostSummary:
    """Group the active model's near-duplicate jobs; with `dry_run` only count."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError("the threshold is a cosine similarity in (0, 1]")
    summary = RepostSummary(threshold=threshold, dry_run=dry_run)
    with connection(url, autocommit=True) as conn:
        model = active_model(conn)
        if model is None:
            summary.skipped = "no active embedding model"
            return summary
        summary.model = model.name
        rows = repost_candidates(conn, model.id)
        found = _collapse(rows, threshold)
        duplicate_of = found.duplicate_of
        summary.jobs_compared, summary.duplicates = len(rows), len(duplicate_of)
        summary.pairs_considered, summary.pairs_merged = found.pairs_considered, found.pairs_merged
        if dry_run:
            stored = current_duplicates(conn)
            ids = stored.keys() | duplicate_of.keys()
            summary.changed = sum(stored.get(i) != duplicate_of.get(i) for i in ids)
        else:
            summary.changed = write_duplicates(conn, duplicate_of)
    return summary


def _collapse(rows: list[RepostCandidate], threshold: float) -> Collapse:
    if not rows:
        return Collapse()
    postings = [
        Posting(r.id, r.company_key, r.location_key, r.title, r.posted_at, r.description_length)
        for r in rows
    ]
    vectors = np.stack([r.embedding for r in rows]).astype(np.float32)
    return collapse(postings, vectors, threshold)
