"""Character n-gram TF-IDF: a lexical baseline that tolerates spelling and word forms.

Texts are lower-cased and split on whitespace; each word is padded with one space on
each side and cut into its character n-grams (3 to 5 characters by default), so no
n-gram spans two words ("char_wb" in scikit-learn's terms). A text's vector holds, for
each n-gram, the sublinear term frequency ``1 + ln(tf)`` times the smoothed inverse
document frequency ``ln((1 + N) / (1 + df)) + 1``, and is L2-normalised; the score of a
document for a query is the cosine of their vectors (a dot product of unit vectors).
N-grams of the query that no document contains are dropped: they carry no idf.

Where BM25 needs the same word, this matches "Kubernetes" with "kubernetes-based",
"developer" with "development", and CV typos ("Exprience") with the right spelling in
part. Pure numpy: the document vectors are stored sparse (one entry per non-zero).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def char_ngrams(text: str, min_n: int = 3, max_n: int = 5) -> list[str]:
    """The character n-grams of `text`, word by word, each word padded with spaces.

    A padded word no longer than `n` yields itself once (and no longer n-grams), as
    scikit-learn's ``char_wb`` analyzer does.
    """
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(min_n, max_n + 1):
            if len(padded) <= n:
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


class CharTfidf:
    """An index over `documents`; `scores(query)` gives one cosine per document."""

    def __init__(self, documents: Sequence[str], *, min_n: int = 3, max_n: int = 5) -> None:
        if not 1 <= min_n <= max_n:
            raise ValueError("need 1 <= min_n <= max_n")
        self._min_n, self._max_n = min_n, max_n
        self._count = len(documents)
        counts = [Counter(char_ngrams(doc, min_n, max_n)) for doc in documents]
        self._vocabulary: dict[str, int] = {}
        frequency: list[int] = []
        for grams in counts:
            for gram in grams:
                index = self._vocabulary.setdefault(gram, len(self._vocabulary))
                if index == len(frequency):
                    frequency.append(0)
                frequency[index] += 1
        self._idf = np.log((1 + self._count) / (1 + np.asarray(frequency, dtype=np.float64))) + 1
        rows: list[npt.NDArray[np.int64]] = []
        columns: list[npt.NDArray[np.int64]] = []
        weights: list[npt.NDArray[np.float64]] = []
        for row, grams in enumerate(counts):
            column, weight = self._weigh(grams)
            rows.append(np.full(len(column), row, dtype=np.int64))
            columns.append(column)
            weights.append(weight)
        # One entry per non-zero (document, n-gram): a sparse matrix in coordinate form.
        self._rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        self._columns = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
        self._weights = np.concatenate(weights) if weights else np.zeros(0, dtype=np.float64)

    def _weigh(self, grams: Counter[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """(vocabulary indices, L2-normalised tf-idf weights) of known n-grams in `grams`."""
        known = [(self._vocabulary[g], n) for g, n in grams.items() if g in self._vocabulary]
        column = np.asarray([index for index, _ in known], dtype=np.int64)
        tf = np.asarray([1 + math.log(n) for _, n in known], dtype=np.float64)
        weight = tf * self._idf[column] if known else np.zeros(0, dtype=np.float64)
        norm = float(np.linalg.norm(weight))
        return column, (weight / norm if norm > 0 else weight)

    def scores(self, query: str) -> list[float]:
        """Cosine of `query` with every document (0 for no shared n-gram)."""
        column, weight = self._weigh(Counter(char_ngrams(query, self._min_n, self._max_n)))
        dense = np.zeros(len(self._vocabulary), dtype=np.float64)
        dense[column] = weight
        products = self._weights * dense[self._columns]
        return [float(s) for s in np.bincount(self._rows, products, minlength=self._count)]

    def rank(self, query: str) -> list[int]:
        """Document indices, best first (ties keep document order)."""
        scores = self.scores(query)
        return sorted(range(len(scores)), key=lambda i: -scores[i])
