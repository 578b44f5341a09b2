"""The knobs of a generation run; the defaults are the product's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from embeddings.diversity import DEFAULT_COMPANY_CAP

Strategy = Literal["exact", "pgvector"]


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
