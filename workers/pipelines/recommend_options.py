"""The knobs of a generation run; the defaults are the product's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from embeddings.diversity import DEFAULT_COMPANY_CAP

Strategy = Literal["exact", "pgvector"]
DEFAULT_LEXICAL_WEIGHT = 0.2


@dataclass(frozen=True)
class RecommendOptions:
    """Knobs of a generation run; the defaults are the product's."""

    limit: int = 50
    company_cap: int = DEFAULT_COMPANY_CAP
    # Per user, before the cap; a row that runs short is redone from a full ranking
    # (rare: 100 is plenty for a cap of 3).
    candidates: int = 100
    block_size: int = 1000  # users scored, explained and committed together
    # Write each block on a thread while the next is scored (a one-block run writes here).
    write_behind: bool = True
    max_age: timedelta = timedelta(days=7)
    ttl: timedelta = timedelta(days=3)
    strategy: Strategy = "exact"
    # The lexical signal's weight in the nightly score (embeddings/lexical.py), chosen
    # on the judged set (docs/evaluation.md); 0 ranks by the cosine alone.
    lexical_weight: float = DEFAULT_LEXICAL_WEIGHT
    # Move each user's query by their votes, saves and applications (embeddings/feedback.py).
    feedback: bool = True
