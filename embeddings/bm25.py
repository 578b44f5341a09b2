"""Okapi BM25: the full-text baseline every embedding model is compared against."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_TOKEN = re.compile(r"[^\W_]+(?:[+#]+)?", re.UNICODE)

# A short English stop list: CVs are long queries, and their function words would
# otherwise add noise to every document's score.
_STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was"  # noqa: SIM905
    " were will with we you your our i my me".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens, keeping `c++` and `c#`, without stop words."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOP_WORDS]


class BM25:
    """An index over `documents`; `scores(query)` gives one score per document."""

    def __init__(self, documents: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        self._k1, self._b = k1, b
        self._terms = [Counter(tokenize(doc)) for doc in documents]
        self._lengths = [sum(terms.values()) for terms in self._terms]
        self._average_length = (sum(self._lengths) / len(self._lengths)) if documents else 0.0
        frequency = Counter(term for terms in self._terms for term in terms)
        count = len(documents)
        self._idf = {t: math.log(1 + (count - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}

    def scores(self, query: str) -> list[float]:
        """BM25 score of every document for `query` (repeated query terms count once)."""
        query_terms = set(tokenize(query)) & self._idf.keys()
        out = []
        for terms, length in zip(self._terms, self._lengths, strict=True):
            norm = self._k1 * (1 - self._b + self._b * length / (self._average_length or 1))
            out.append(
                sum(
                    self._idf[t] * terms[t] * (self._k1 + 1) / (terms[t] + norm)
                    for t in query_terms
                    if t in terms
                )
            )
        return out

    def rank(self, query: str) -> list[int]:
        """Document indices, best first (ties keep document order)."""
        scores = self.scores(query)
        return sorted(range(len(scores)), key=lambda i: -scores[i])
