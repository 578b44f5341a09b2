"""Votes, saves and applications move a named CV's next list: its query vector is pulled
toward the jobs liked and pushed away from the ones voted down, before scoring
(`embeddings.feedback`). A vote steers the CV whose list it was cast on; saves and
applications steer each of the person's CVs."""

from __future__ import annotations

import numpy as np

from embeddings.feedback import adjusted_query
from schema.database import Connection
from schema.queries import generation_reads as q
from schema.queries.models import EmbeddingModel


def with_feedback(
    conn: Connection, model: EmbeddingModel, users: list[q.UserQuery], vectors: np.ndarray
) -> np.ndarray:
    """The named CVs' query vectors (row i is query i), adjusted by what was acted on."""
    keys, liked_or_not = q.feedback_vectors(
        conn, model.id, model.dimension, [user.named_cv_id for user in users]
    )
    if not len(keys):
        return vectors
    row_of = {user.named_cv_id: row for row, user in enumerate(users)}
    adjusted = vectors.astype(np.float32, copy=True)
    starts = np.flatnonzero(np.r_[True, keys[1:, 0] != keys[:-1, 0]])
    for start, end in zip(starts, [*starts[1:], len(keys)], strict=True):
        row = row_of[int(keys[start, 0])]
        signs = keys[start:end, 1]
        chunk = liked_or_not[start:end]
        adjusted[row] = adjusted_query(adjusted[row], chunk[signs > 0], chunk[signs < 0])
    return adjusted
