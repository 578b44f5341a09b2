"""Score matrices (queries × documents) for every kind of system `jobmatch eval` compares.

Dense scores are the cosines of the product's own vectors (`embeddings.representation`),
lexical ones the product's BM25 of the CV's telling words (`embeddings.lexical`), and the
baselines BM25 and character n-gram TF-IDF over the whole text. Vectors are encoded once
per (model, backend, text options) and reused by every system that needs them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from embeddings.bm25 import BM25
from embeddings.char_tfidf import CharTfidf
from embeddings.lexical import QUERY_TERMS, LexicalIndex, term_counts
from embeddings.model import Embedder
from embeddings.representation import Piece, cv_pieces, job_pieces, pool
from embeddings.text import TextOptions, cv_text, job_text
from workers.evaluation.dataset import Document, Query

Matrix = npt.NDArray[np.float32]
LoadEmbedder = Callable[[str, str], Embedder]


class Scorer:
    """Scores one labelled set's queries against its documents, caching what it encodes."""

    def __init__(self, queries: Sequence[Query], documents: Sequence[Document]) -> None:
        self.queries, self.documents = queries, documents
        self._vectors: dict[tuple[str, str, TextOptions], tuple[Matrix, Matrix]] = {}
        self._rates: dict[tuple[str, str, TextOptions], float] = {}
        self._lexical: dict[int, Matrix] = {}
        # Pieces' vectors by (model, text): sweeps over weights encode each window once.
        self._pieces: dict[tuple[str, str], Matrix] = {}
        # Per template: documents and queries it leaves with no text (they score 0).
        self.empty: dict[str, tuple[int, int]] = {}

    def vectors(
        self, embedder: Embedder, backend: str, options: TextOptions
    ) -> tuple[Matrix, Matrix, float]:
        """(query vectors, document vectors) under `options`, and the texts/s encoded."""
        key = (embedder.name, backend, options)
        if key not in self._vectors:
            started = time.perf_counter()
            docs = [job_pieces(doc, options) for doc in self.documents]
            cvs = [cv_pieces(query.text, options) for query in self.queries]
            self.empty[options.template] = (
                sum(not pieces for pieces in docs),
                sum(not pieces for pieces in cvs),
            )
            doc_vectors = self._encode(embedder, docs)
            cv_vectors = self._encode(embedder, cvs)
            self._rates[key] = (len(docs) + len(cvs)) / (time.perf_counter() - started)
            self._vectors[key] = (cv_vectors, doc_vectors)
        return (*self._vectors[key], self._rates[key])

    def dense(self, embedder: Embedder, backend: str, options: TextOptions) -> tuple[Matrix, float]:
        """Cosines under `options`, and the texts/s the encoding ran at."""
        queries, documents, rate = self.vectors(embedder, backend, options)
        return np.asarray(queries @ documents.T, dtype=np.float32), rate

    def _encode(self, embedder: Embedder, texts: Sequence[Sequence[Piece]]) -> Matrix:
        """Unit vectors of the texts (a text without pieces gets zeros), pooled as the
        product pools them, each distinct piece encoded once per model."""
        flat = [piece.text for pieces in texts for piece in pieces]
        new = [t for t in dict.fromkeys(flat) if (embedder.name, t) not in self._pieces]
        if new:
            for text, vector in zip(new, embedder.encode(new), strict=True):
                self._pieces[embedder.name, text] = vector
        rows = [self._pieces[embedder.name, text] for text in flat]
        shaped = np.array(rows) if rows else np.zeros((0, embedder.dimension), np.float32)
        return pool(texts, shaped)

    def lexical(self, query_terms: int = QUERY_TERMS) -> Matrix:
        """The product's lexical signal (`embeddings.lexical`), in [0, 1]."""
        if query_terms not in self._lexical:
            jobs = [term_counts(job_text(doc)) for doc in self.documents]
            index = LexicalIndex(jobs, query_terms=query_terms)
            cvs = [term_counts(cv_text(query.text)) for query in self.queries]
            self._lexical[query_terms] = index.scores(index.cv_rows(cvs))
        return self._lexical[query_terms]

    def bm25(self) -> Matrix:
        index = BM25([job_text(doc) for doc in self.documents])
        return _rows([index.scores(cv_text(query.text)) for query in self.queries])

    def char_tfidf(self) -> Matrix:
        index = CharTfidf([job_text(doc) for doc in self.documents])
        return _rows([index.scores(cv_text(query.text)) for query in self.queries])


def _rows(scores: Sequence[Sequence[float]]) -> Matrix:
    return np.asarray(scores, dtype=np.float32)
