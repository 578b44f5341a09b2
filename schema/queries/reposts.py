"""Reposts: the jobs the rule compares, and writing which job each repost points at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from pgvector import Vector
from psycopg.rows import class_row, dict_row

from schema.database import Connection


@dataclass(frozen=True)
class RepostCandidate:
    """A job of a company with more than one job vector under the model."""

    id: int
    company_key: str
    location_key: str
    title: str
    posted_at: datetime
    description_length: int
    embedding: npt.NDArray[np.float32]


# Only companies with two or more embedded jobs can hold a repost: the rest of the
# catalogue is never read.
_CANDIDATES = """
WITH keyed AS (
    SELECT j.id, jobmatch_company_key(j.company) AS company_key, j.location_key, j.title,
           j.posted_at, length(j.description) AS description_length, e.embedding
    FROM jobs j JOIN job_embeddings e ON e.job_id = j.id AND e.model_id = %(model_id)s
    WHERE e.content_hash = j.content_hash
)
SELECT * FROM keyed k
WHERE k.company_key <> ''
  AND k.company_key IN (SELECT company_key FROM keyed GROUP BY 1 HAVING count(*) > 1)
ORDER BY k.id
"""


def repost_candidates(conn: Connection, model_id: int) -> list[RepostCandidate]:
    """Jobs whose current text has a vector under the model, of companies with several."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_CANDIDATES, {"model_id": model_id})
        rows = cur.fetchall()
    return [RepostCandidate(**{**row, "embedding": _as_array(row["embedding"])}) for row in rows]


def _as_array(value: object) -> npt.NDArray[np.float32]:
    """pgvector's `Vector` (or a plain array) as float32 numpy."""
    if isinstance(value, Vector):
        return np.asarray(value.to_numpy(), dtype=np.float32)
    return np.asarray(value, dtype=np.float32)


@dataclass(frozen=True)
class _Link:
    id: int
    duplicate_of: int


def current_duplicates(conn: Connection) -> dict[int, int]:
    """{repost id: canonical id} as stored now."""
    with conn.cursor(row_factory=class_row(_Link)) as cur:
        cur.execute("SELECT id, duplicate_of FROM jobs WHERE duplicate_of IS NOT NULL")
        return {link.id: link.duplicate_of for link in cur.fetchall()}


def write_duplicates(conn: Connection, duplicate_of: dict[int, int]) -> int:
    """Make `duplicate_of` the stored mapping exactly (one transaction); how many jobs
    changed. A job whose canonical job was deleted meanwhile stays canonical itself."""
    ids, heads = list(duplicate_of), list(duplicate_of.values())
    with conn.transaction():
        freed = conn.execute(
            "UPDATE jobs SET duplicate_of = NULL"
            " WHERE duplicate_of IS NOT NULL AND NOT (id = ANY(%(ids)s))",
            {"ids": ids},
        ).rowcount
        pointed = conn.execute(
            "UPDATE jobs j SET duplicate_of = m.head"
            " FROM unnest(%(ids)s::bigint[], %(heads)s::bigint[]) AS m (id, head)"
            " WHERE j.id = m.id AND j.duplicate_of IS DISTINCT FROM m.head"
            " AND EXISTS (SELECT 1 FROM jobs h WHERE h.id = m.head)",
            {"ids": ids, "heads": heads},
        ).rowcount
    return freed + pointed
