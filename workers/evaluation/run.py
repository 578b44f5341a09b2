"""Run a labelled set through BM25 and any number of embedding systems; collect the report."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from embeddings.bm25 import BM25
from embeddings.metrics import Estimate, per_query_metrics, summarise
from embeddings.model import Embedder
from embeddings.text import TextOptions, cv_text, encode_prepared, job_text
from workers.evaluation.dataset import Document, LabelledSet

BM25_SYSTEM = "bm25"


@dataclass(frozen=True)
class SystemSpec:
    """One way of ranking: an embedding model on a backend with text options, or BM25."""

    model: str
    backend: str = "auto"
    text: TextOptions = field(default_factory=TextOptions)

    @property
    def label(self) -> str:
        if self.model == BM25_SYSTEM:
            return "BM25 (full text)"
        return f"{self.model} · {self.backend} · {self.text.signature}"


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


LoadEmbedder = Callable[[str, str], Embedder]


def evaluate(
    labelled: LabelledSet, systems: Sequence[SystemSpec], load: LoadEmbedder
) -> list[SystemResult]:
    """Rank every document for every judged query with each system and score the rankings."""
    queries = labelled.judged_queries()
    results = []
    for asked in systems:
        started, spec = time.perf_counter(), asked
        if spec.model == BM25_SYSTEM:
            rankings, rate = _bm25_rankings(labelled.documents, [q.text for q in queries]), None
        else:
            embedder = load(asked.model, asked.backend)
            # Report the backend that ran ("auto" names none).
            spec = replace(asked, backend=str(getattr(embedder, "backend", asked.backend)))
            rankings, rate = _embedding_rankings(
                labelled, [q.text for q in queries], spec, embedder
            )
        per_query = [
            QueryResult(
                query.id,
                query.category,
                per_query_metrics(ranking, labelled.judgments.get(query.id, {})),
            )
            for query, ranking in zip(queries, rankings, strict=True)
        ]
        metrics = summarise([result.metrics for result in per_query])
        elapsed = time.perf_counter() - started
        results.append(SystemResult(spec, metrics, per_query, rate, elapsed))
    return results


def _bm25_rankings(documents: Sequence[Document], queries: Sequence[str]) -> list[list[str]]:
    index = BM25([job_text(doc) for doc in documents])
    return [[documents[i].id for i in index.rank(query)] for query in queries]


def _embedding_rankings(
    labelled: LabelledSet, queries: Sequence[str], spec: SystemSpec, embedder: Embedder
) -> tuple[list[list[str]], float]:
    doc_texts = [job_text(doc, spec.text) for doc in labelled.documents]
    query_texts = [cv_text(text, spec.text) for text in queries]
    started = time.perf_counter()
    doc_vectors = encode_prepared(embedder, doc_texts, spec.text)
    query_vectors = encode_prepared(embedder, query_texts, spec.text)
    rate = (len(doc_texts) + len(query_texts)) / (time.perf_counter() - started)
    order = np.argsort(-(query_vectors @ doc_vectors.T), axis=1, kind="stable")
    ids = [doc.id for doc in labelled.documents]
    return [[ids[i] for i in row] for row in order], rate
