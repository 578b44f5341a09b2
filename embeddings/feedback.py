"""A person's votes move their next list: the query is pulled toward the jobs they acted
on and pushed away from the jobs they voted down (Rocchio's relevance feedback).

    q' = normalise(q + pull · mean(liked) − push · mean(disliked))

Liked jobs are applications, saves and up votes; disliked ones are down votes. The
weights are chosen on the judged set by a simulated session (`workers.evaluation
.feedback`); with no votes the query is unchanged.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]
DEFAULT_PULL = 0.5
DEFAULT_PUSH = 0.25


def adjusted_query(
    query: Vector,
    liked: npt.NDArray[np.float32],
    disliked: npt.NDArray[np.float32],
    *,
    pull: float = DEFAULT_PULL,
    push: float = DEFAULT_PUSH,
) -> Vector:
    """`query` moved by the (rows of) liked and disliked job vectors, unit length."""
    moved = query.astype(np.float32, copy=True)
    if len(liked):
        moved += np.float32(pull) * liked.mean(axis=0)
    if len(disliked):
        moved -= np.float32(push) * disliked.mean(axis=0)
    norm = float(np.linalg.norm(moved))
    return query if norm < 1e-6 else np.asarray(moved / norm, dtype=np.float32)
