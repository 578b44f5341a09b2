"""Hybrid job search: pgvector HNSW neighbours fused with full-text matches (RRF).

Two ranked candidate lists are built under the same filters, each `candidates` long:

- semantic: the nearest job vectors of one model by cosine distance, through that model's
  HNSW partial expression index (the query repeats the index's expression
  `embedding::vector(dim)` and `model_id = N` as literals, or the planner cannot use
  it). `hnsw.ef_search` is raised to at least the candidate count, and pgvector's
  iterative scan keeps walking the graph when filters reject neighbours, so a selective
  filter still fills the list;
- lexical: `jobs.search_vector @@ websearch_to_tsquery('english', text)` ranked by
  `ts_rank_cd` (title weighs most), on the GIN index.

Reciprocal rank fusion scores a job `1/(60 + semantic rank) + 1/(60 + lexical rank)`
(a missing rank adds nothing): it needs no score calibration between cosine and
`ts_rank`, and a job found by both lists beats one found by either alone.

Filters: `remote`, `location` (case-insensitive substring of the job's location),
`posted_since`, `min_salary` (the job's top of range, or its only figure, must reach it;
a job without a salary is left out when this filter is set).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import sql
from psycopg.rows import class_row

from schema.database import Connection
from schema.queries.job_listing import OFFERED

RRF_K = 60
MAX_EF_SEARCH = 1000  # pgvector's ceiling for hnsw.ef_search


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions applied to both candidate lists (None: no restriction)."""

    remote: bool | None = None
    location: str | None = None
    posted_since: datetime | None = None
    min_salary: float | Decimal | None = None


@dataclass(frozen=True)
class SearchHit:
    """One result: the fused score, how each list ranked it, and the job as shown."""

    job_id: int
    score: float
    semantic_rank: int | None
    text_rank: int | None
    similarity: float | None
    source: str
    title: str
    company: str
    location: str
    remote: bool
    salary_min: Decimal | None
    salary_max: Decimal | None
    salary_currency: str | None
    tags: list[str]
    category: str | None
    url: str
    posted_at: datetime


def search_jobs(
    conn: Connection,
    *,
    model_id: int | None = None,
    dimension: int | None = None,
    query_vector: npt.NDArray[np.float32] | None,
    query_text: str,
    filters: SearchFilters,
    limit: int,
) -> list[SearchHit]:
    """The best `limit` jobs for the query, best first.

    `query_vector` is the query encoded by the model `model_id` (None: full text only,
    e.g. before anything is embedded); `query_text` feeds the full-text side (blank:
    semantic only). Runs in its own transaction (savepoint) so its settings stay local.
    """
    statement, params, ef_search = _statement(
        model_id=model_id,
        dimension=dimension,
        query_vector=query_vector,
        query_text=query_text,
        filters=filters,
        limit=limit,
    )
    with conn.transaction(), conn.cursor(row_factory=class_row(SearchHit)) as cur:
        _set_local(cur, ef_search)
        cur.execute(statement, params)
        return cur.fetchall()


def search_plan(
    conn: Connection,
    *,
    model_id: int | None = None,
    dimension: int | None = None,
    query_vector: npt.NDArray[np.float32] | None,
    query_text: str,
    filters: SearchFilters,
    limit: int,
) -> str:
    """PostgreSQL's plan for the same search (EXPLAIN text): which indexes it would use."""
    statement, params, ef_search = _statement(
        model_id=model_id,
        dimension=dimension,
        query_vector=query_vector,
        query_text=query_text,
        filters=filters,
        limit=limit,
    )
    with conn.transaction(), conn.cursor() as cur:
        _set_local(cur, ef_search)
        cur.execute(sql.SQL("EXPLAIN ") + statement, params)
        return "\n".join(str(row[0]) for row in cur.fetchall())


def _set_local(cur: psycopg.Cursor[object], ef_search: int) -> None:
    """Search settings for this transaction only (set_config(..., true) is SET LOCAL)."""
    cur.execute(
        "SELECT set_config('hnsw.ef_search', %(ef)s, true),"
        " set_config('hnsw.iterative_scan', 'relaxed_order', true)",
        {"ef": str(ef_search)},
    )


def _statement(
    *,
    model_id: int | None = None,
    dimension: int | None = None,
    query_vector: npt.NDArray[np.float32] | None,
    query_text: str,
    filters: SearchFilters,
    limit: int,
) -> tuple[sql.Composed, dict[str, object], int]:
    """The fused query, its parameters, and the ef_search it needs."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if query_vector is not None and (model_id is None or dimension is None):
        raise ValueError("a query vector needs the model_id and dimension it was made with")
    candidates = min(MAX_EF_SEARCH, max(limit * 4, 40))
    where, params = _filters(filters)
    params.update(
        query=None if query_vector is None else np.asarray(query_vector, dtype=np.float32),
        text=query_text.strip(),
        candidates=candidates,
        limit=limit,
        rrf_k=RRF_K,
    )
    statement = sql.SQL(_FUSED).format(
        semantic=_semantic(model_id, dimension, where) if query_vector is not None else _NONE,
        lexical=_lexical(where, enabled=bool(query_text.strip())),
    )
    return statement, params, candidates


_FUSED = """
WITH semantic AS ({semantic}),
lexical AS ({lexical}),
fused AS (
    SELECT coalesce(s.job_id, l.job_id) AS job_id,
           coalesce(1.0 / (%(rrf_k)s + s.rank), 0) + coalesce(1.0 / (%(rrf_k)s + l.rank), 0)
               AS score,
           s.rank AS semantic_rank, l.rank AS text_rank, s.similarity
    FROM semantic s FULL OUTER JOIN lexical l ON l.job_id = s.job_id
)
SELECT f.job_id, f.score::float8 AS score, f.semantic_rank, f.text_rank, f.similarity,
       j.source, j.title, j.company, j.location, j.remote, j.salary_min, j.salary_max,
       j.salary_currency, j.tags, j.category, j.url, j.posted_at
FROM fused f JOIN jobs j ON j.id = f.job_id
ORDER BY f.score DESC, f.semantic_rank NULLS LAST, f.job_id
LIMIT %(limit)s
"""


_NONE = sql.SQL(
    "SELECT NULL::bigint AS job_id, NULL::bigint AS rank, NULL::float8 AS similarity WHERE false"
)


def _semantic(model_id: int | None, dimension: int | None, where: sql.Composable) -> sql.Composed:
    # The inner ORDER BY ... LIMIT is the index scan (relaxed order under iterative scan);
    # the outer row_number re-sorts those candidates exactly.
    return sql.SQL(
        "SELECT job_id, row_number() OVER (ORDER BY distance, job_id) AS rank,"
        " 1 - distance AS similarity FROM ("
        " SELECT e.job_id, e.embedding::vector({dim}) <=> %(query)s::vector({dim}) AS distance"
        " FROM job_embeddings e JOIN jobs j ON j.id = e.job_id"
        " WHERE e.model_id = {model_id} AND {where}"
        " ORDER BY e.embedding::vector({dim}) <=> %(query)s::vector({dim})"
        " LIMIT %(candidates)s) nearest"
    ).format(dim=sql.Literal(dimension), model_id=sql.Literal(model_id), where=where)


def _lexical(where: sql.Composable, *, enabled: bool) -> sql.Composed:
    if not enabled:
        return sql.SQL("SELECT NULL::bigint AS job_id, NULL::bigint AS rank WHERE false").format()
    return sql.SQL(
        "SELECT id AS job_id, row_number() OVER (ORDER BY score DESC, id) AS rank FROM ("
        " SELECT j.id, ts_rank_cd(j.search_vector, tsq) AS score"
        " FROM jobs j, websearch_to_tsquery('english', %(text)s) tsq"
        " WHERE j.search_vector @@ tsq AND {where}"
        " ORDER BY score DESC, j.id LIMIT %(candidates)s) matches"
    ).format(where=where)


def _filters(filters: SearchFilters) -> tuple[sql.Composable, dict[str, object]]:
    """The WHERE conditions on `jobs j` and their parameters."""
    # A posting found closed (019) is no longer offered, and one job per repost group:
    # the canonical one (020).
    conditions: list[sql.Composable] = [sql.SQL(OFFERED)]
    params: dict[str, object] = {}
    if filters.remote is not None:
        conditions.append(sql.SQL("j.remote = %(remote)s"))
        params["remote"] = filters.remote
    if filters.location and filters.location.strip():
        conditions.append(sql.SQL("j.location ILIKE %(location)s"))
        params["location"] = f"%{_escape_like(filters.location.strip())}%"
    if filters.posted_since is not None:
        if filters.posted_since.utcoffset() is None:
            raise ValueError("posted_since must be an aware datetime (UTC)")
        conditions.append(sql.SQL("j.posted_at >= %(posted_since)s"))
        params["posted_since"] = filters.posted_since
    if filters.min_salary is not None:
        conditions.append(sql.SQL("coalesce(j.salary_max, j.salary_min) >= %(min_salary)s"))
        params["min_salary"] = Decimal(str(filters.min_salary))
    return sql.SQL(" AND ").join(conditions), params


def _escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (the default escape is backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
