"""Does feedback move the next list the right way? A simulated session on a judged set.

For each query, the system's first page of 10 is shown and voted on as a person would
by the judged grades: grade ≥ 2 up, grade 0 (or unjudged) down, grade 1 no vote. The
query is then adjusted (`embeddings.feedback.adjusted_query`, the product's rule), the
rest of the catalog re-ranked, and nDCG@10 scored on the jobs not yet shown, against the
same system without feedback (its ranking minus the shown page).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embeddings.feedback import DEFAULT_PULL, DEFAULT_PUSH, adjusted_query
from embeddings.metrics import Estimate, bootstrap, ndcg_at, paired_difference
from workers.evaluation.dataset import LabelledSet
from workers.evaluation.scoring import Matrix

PAGE = 10


@dataclass(frozen=True)
class FeedbackResult:
    without: Estimate
    with_feedback: Estimate
    difference: Estimate
    pull: float
    push: float


def simulate(
    labelled: LabelledSet,
    query_vectors: Matrix,
    document_vectors: Matrix,
    lexical: Matrix | None,
    lexical_weight: float,
    *,
    pull: float = DEFAULT_PULL,
    push: float = DEFAULT_PUSH,
) -> FeedbackResult:
    """The protocol above for one system (dense vectors, plus its lexical part if any)."""
    ids = [doc.id for doc in labelled.documents]
    without, after = [], []
    for row, query in enumerate(labelled.judged_queries()):
        judged = labelled.judgments.get(query.id, {})
        extra = lexical[row] * np.float32(lexical_weight) if lexical is not None else 0.0
        scores = document_vectors @ query_vectors[row] + extra
        shown = np.argsort(-scores, kind="stable")[:PAGE]
        grades = [judged.get(ids[i], 0) for i in shown]
        liked = shown[[g >= 2 for g in grades]]
        disliked = shown[[g == 0 for g in grades]]
        moved = adjusted_query(
            query_vectors[row],
            document_vectors[liked],
            document_vectors[disliked],
            pull=pull,
            push=push,
        )
        unseen = {k: v for k, v in judged.items() if k not in {ids[i] for i in shown}}
        without.append(ndcg_at(_rest(scores, shown, ids), unseen, 10))
        after.append(ndcg_at(_rest(document_vectors @ moved + extra, shown, ids), unseen, 10))
    return FeedbackResult(
        bootstrap(without), bootstrap(after), paired_difference(after, without), pull, push
    )


def _rest(scores: Matrix, shown: np.ndarray, ids: list[str]) -> list[str]:
    """The ranking of the documents not on the shown page."""
    remaining = scores.copy()
    remaining[shown] = -np.inf
    order = np.argsort(-remaining, kind="stable")[: len(ids) - len(shown)]
    return [ids[i] for i in order]
