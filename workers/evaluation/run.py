"""Run a labelled set through the baselines and any number of systems; collect the report.

A system is an embedding model on a backend with text options, optionally combined with
the product's lexical signal (`lexical` > 0: dense cosine + lexical × weight, the nightly
score), or a baseline: BM25 or character n-gram TF-IDF over the whole text. Repeated
systems run once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from embeddings.metrics import Estimate, paired_difference, per_query_metrics, summarise
from embeddings.model import Embedder
from embeddings.text import TextOptions
from workers.evaluation.dataset import LabelledSet
from workers.evaluation.feedback import FeedbackResult, simulate
from workers.evaluation.scoring import Matrix, Scorer

BM25_SYSTEM = "bm25"
CHAR_TFIDF_SYSTEM = "char-tfidf"
BASELINES = {BM25_SYSTEM: "BM25 (full text)", CHAR_TFIDF_SYSTEM: "char 3-5-gram TF-IDF"}
LoadEmbedder = Callable[[str, str], Embedder]


@dataclass(frozen=True)
class SystemSpec:
    """One way of ranking: a baseline, or a model with text options and a lexical weight."""

    model: str
    backend: str = "auto"
    text: TextOptions = field(default_factory=TextOptions)
    lexical: float = 0.0

    @property
    def label(self) -> str:
        if self.model in BASELINES:
            return BASELINES[self.model]
        hybrid = f" + {self.lexical:g}·lexical" if self.lexical else ""
        return f"{self.model} · {self.backend} · {self.text.signature}{hybrid}"


@dataclass(frozen=True)
class QueryResult:
    query: str
    category: str | None
    metrics: dict[str, float]


@dataclass(frozen=True)
class SystemResult:
    spec: SystemSpec
    metrics: dict[str, Estimate]
    per_query: list[QueryResult]
    texts_per_second: float | None
    seconds: float
    # Per metric: this system minus the first system, paired by query (None for the first).
    versus_first: dict[str, Estimate] | None = None
    # Documents and queries its template left with no text: they score 0, so a ranking
    # of them says nothing about the model (`empty_warnings` says so).
    empty_documents: int = 0
    empty_queries: int = 0


def evaluate(
    labelled: LabelledSet, systems: Sequence[SystemSpec], load: LoadEmbedder
) -> list[SystemResult]:
    """Rank every document for every judged query with each system and score the rankings."""
    queries = labelled.judged_queries()
    scorer = Scorer(queries, labelled.documents)
    ids = [doc.id for doc in labelled.documents]
    results: list[SystemResult] = []
    for asked in dict.fromkeys(systems):
        started = time.perf_counter()
        spec, scores, rate = _scores(scorer, asked, load)
        order = np.argsort(-scores, axis=1, kind="stable")
        per_query = [
            QueryResult(
                query.id,
                query.category,
                per_query_metrics([ids[i] for i in row], labelled.judgments.get(query.id, {})),
            )
            for query, row in zip(queries, order, strict=True)
        ]
        versus = _versus(per_query, results[0].per_query) if results else None
        elapsed = time.perf_counter() - started
        empty = (
            scorer.empty.get(spec.text.template, (0, 0)) if spec.model not in BASELINES else (0, 0)
        )
        results.append(
            SystemResult(
                spec,
                summarise([q.metrics for q in per_query]),
                per_query,
                rate,
                elapsed,
                versus,
                *empty,
            )
        )
    return results


def top_documents(
    labelled: LabelledSet, spec: SystemSpec, load: LoadEmbedder, depth: int
) -> dict[str, list[str]]:
    """Each judged query's first `depth` document ids under `spec`, best first: what a
    later pool round reads (`eval/tools/unjudged_top.py`)."""
    queries = labelled.judged_queries()
    _, scores, _ = _scores(Scorer(queries, labelled.documents), spec, load)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :depth]
    ids = [doc.id for doc in labelled.documents]
    return {q.id: [ids[i] for i in row] for q, row in zip(queries, order, strict=True)}


def empty_warnings(results: Sequence[SystemResult], documents: int, queries: int) -> list[str]:
    """One line per template that left documents or queries without any text."""
    lines: dict[str, str] = {}
    for result in results:
        if result.empty_documents or result.empty_queries:
            template = result.spec.text.template
            lines[template] = (
                f"warning: template {template!r} leaves {result.empty_documents} of "
                f"{documents} documents and {result.empty_queries} of {queries} queries "
                "empty; they score 0, so its figures say little (try --template full)"
            )
    return list(lines.values())


def feedback_session(labelled: LabelledSet, spec: SystemSpec, load: LoadEmbedder) -> FeedbackResult:
    """The simulated feedback session (`workers.evaluation.feedback`) with `spec`, which
    must be a model (baselines have no vectors to move)."""
    if spec.model in BASELINES:
        raise ValueError("the feedback session needs a model system, not a baseline")
    scorer = Scorer(labelled.judged_queries(), labelled.documents)
    embedder = load(spec.model, spec.backend)
    queries, documents, _ = scorer.vectors(embedder, spec.backend, spec.text)
    lexical = scorer.lexical() if spec.lexical else None
    return simulate(labelled, queries, documents, lexical, spec.lexical)


def _scores(
    scorer: Scorer, spec: SystemSpec, load: LoadEmbedder
) -> tuple[SystemSpec, Matrix, float | None]:
    """The system's scores (and its spec with the backend that ran, and its texts/s)."""
    if spec.model == BM25_SYSTEM:
        return spec, scorer.bm25(), None
    if spec.model == CHAR_TFIDF_SYSTEM:
        return spec, scorer.char_tfidf(), None
    embedder = load(spec.model, spec.backend)
    ran = replace(spec, backend=str(getattr(embedder, "backend", spec.backend)))
    dense, rate = scorer.dense(embedder, ran.backend, spec.text)
    if spec.lexical:
        return ran, dense + np.float32(spec.lexical) * scorer.lexical(), rate
    return ran, dense, rate


def _versus(mine: Sequence[QueryResult], first: Sequence[QueryResult]) -> dict[str, Estimate]:
    return {
        name: paired_difference([q.metrics[name] for q in mine], [q.metrics[name] for q in first])
        for name in mine[0].metrics
    }
