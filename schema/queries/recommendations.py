"""Recommendation generation: reading candidates, users and stored lists.

Writing the new lists (one transaction per block of users) is in `recommendation_lists`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
import psycopg
from psycopg import sql
from psycopg.rows import class_row

Connection = psycopg.Connection[tuple[object, ...]]


@dataclass(frozen=True)
class CandidateJob:
    """What the filters need of a job; `salary_top` is the maximum, else the minimum."""

    id: int
    company: str
    location: str
    remote: bool
    salary_top: float | None


@dataclass(frozen=True)
class UserQuery:
    """A user whose active CV has a vector under the model (see `users_to_recommend`)."""

    user_id: int
    cv_id: int


@dataclass(frozen=True)
class UserFilter:
    user_id: int
    locations: list[str]
    remote_only: bool
    min_salary: Decimal | None
    excluded_companies: list[str]


@dataclass(frozen=True)
class Exclusion:
    user_id: int
    job_id: int


@dataclass(frozen=True)
class ScoredJob:
    job_id: int
    score: float


_CANDIDATES = (
    " FROM job_embeddings e JOIN jobs j ON j.id = e.job_id"
    " WHERE e.model_id = %(model_id)s AND j.posted_at >= %(since)s"
)


def candidates(
    conn: Connection, model_id: int, dimension: int, since: datetime
) -> tuple[list[CandidateJob], np.ndarray]:
    """Jobs posted at or after `since` with a vector under the model, by id, and their
    vectors as one float32 matrix (row i is job i), read from one snapshot.

    The vectors come through a binary COPY parsed by numpy in one go: every row has the
    same layout, so 20,000 vectors take milliseconds instead of 20,000 Python objects.
    """
    params = {"model_id": model_id, "since": since}
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with conn.cursor(row_factory=class_row(CandidateJob)) as cur:
            cur.execute(
                "SELECT j.id, j.company, j.location, j.remote,"
                " COALESCE(j.salary_max, j.salary_min)::float8 AS salary_top"
                + _CANDIDATES
                + " ORDER BY j.id",
                params,
            )
            jobs = cur.fetchall()
        ids, matrix = _copy_vectors(
            conn, "SELECT j.id, e.embedding" + _CANDIDATES + " ORDER BY j.id", params, dimension
        )
    if ids[:, 0].tolist() != [job.id for job in jobs]:
        raise RuntimeError("candidate jobs and their vectors were read out of step")
    return jobs, matrix


_COPY_HEADER = 19  # signature (11 bytes), flags (4), header extension length (4)


def _copy_vectors(
    conn: Connection, select: str, params: Mapping[str, object], dimension: int, ids: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of `select`'s rows (`ids` bigints, then a vector), read through one
    binary COPY and parsed by numpy in one go (`_parse_vector_copy`)."""
    query = f"COPY ({select}) TO STDOUT (FORMAT BINARY)"
    with conn.cursor() as cur, cur.copy(query, params) as copy:
        data = b"".join(bytes(chunk) for chunk in copy)
    return _parse_vector_copy(data, dimension, ids)


def _parse_vector_copy(data: bytes, dimension: int, ids: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) from a binary COPY of rows of `ids` bigints then a
    vector(dimension): an (rows × ids) int64 matrix and a float32 one."""
    columns: list[tuple[str, str] | tuple[str, str, tuple[int]]] = [("fields", ">i2")]
    for n in range(ids):
        columns += [(f"id{n}_len", ">i4"), (f"id{n}", ">i8")]
    columns += [("vector_len", ">i4"), ("dim", ">u2"), ("unused", ">u2")]
    row = np.dtype([*columns, ("vector", ">f4", (dimension,))])
    count = (len(data) - _COPY_HEADER - 2) // row.itemsize  # 2: the trailer
    rows = np.frombuffer(data, dtype=row, count=count, offset=_COPY_HEADER)
    if count and not ((rows["fields"] == ids + 1).all() and (rows["dim"] == dimension).all()):
        raise ValueError(f"stored vectors are not all {dimension}-dimensional for this model")
    keys = np.stack([rows[f"id{n}"] for n in range(ids)], axis=1).astype(np.int64)
    return keys.reshape(count, ids), rows["vector"].astype(np.float32)


_USERS = (
    "FROM cvs c JOIN cv_embeddings e ON e.cv_id = c.id AND e.model_id = %(model_id)s"
    " WHERE c.is_active AND c.user_id %% %(shards)s = %(shard)s"
    " AND (%(user_ids)s::bigint[] IS NULL OR c.user_id = ANY(%(user_ids)s))"
)


def users_to_recommend(
    conn: Connection,
    model_id: int,
    dimension: int,
    *,
    user_ids: Sequence[int] | None = None,
    shard: int = 0,
    shards: int = 1,
) -> tuple[list[UserQuery], np.ndarray]:
    """Users with an embedded active CV (optionally only `user_ids`, or one shard of
    `user_id % shards`), by user id, and their CV vectors as one float32 matrix (row i
    is user i), read like the candidates' (`candidates`)."""
    params = {"model_id": model_id, "shard": shard, "shards": shards, "user_ids": user_ids}
    select = "SELECT c.user_id, c.id, e.embedding " + _USERS + " ORDER BY c.user_id"
    ids, matrix = _copy_vectors(conn, select, params, dimension, ids=2)
    return [UserQuery(user_id, cv_id) for user_id, cv_id in ids.tolist()], matrix


def count_users_to_recommend(conn: Connection, model_id: int) -> int:
    """How many users have an embedded active CV under the model."""
    params = {"model_id": model_id, "shard": 0, "shards": 1, "user_ids": None}
    row = conn.execute("SELECT count(*) " + _USERS, params).fetchone()
    return int(str(row[0])) if row else 0


def user_filters(conn: Connection, user_ids: Sequence[int]) -> list[UserFilter]:
    """The stored preferences of those users who set any."""
    with conn.cursor(row_factory=class_row(UserFilter)) as cur:
        cur.execute(
            "SELECT user_id, locations, remote_only, min_salary, excluded_companies"
            " FROM user_preferences WHERE user_id = ANY(%(ids)s)",
            {"ids": list(user_ids)},
        )
        return cur.fetchall()


def exclusions(conn: Connection, user_ids: Sequence[int]) -> list[Exclusion]:
    """Jobs never to show these users again: applied to, or voted down."""
    with conn.cursor(row_factory=class_row(Exclusion)) as cur:
        cur.execute(
            "SELECT user_id, job_id FROM applications WHERE user_id = ANY(%(ids)s)"
            " UNION SELECT user_id, job_id FROM feedback"
            " WHERE vote = 'down' AND user_id = ANY(%(ids)s)",
            {"ids": list(user_ids)},
        )
        return cur.fetchall()


def nearest_jobs_pgvector(
    conn: Connection,
    *,
    model_id: int,
    dimension: int,
    user_id: int,
    query: np.ndarray,
    since: datetime,
    limit: int,
) -> list[ScoredJob]:
    """The per-user baseline: HNSW index order (`<=>`), minus applied and down-voted jobs.

    Model id and dimension are literals so the planner can match the model's partial
    expression index even with a prepared statement.
    """
    vector = sql.SQL("e.embedding::vector({dim})").format(dim=sql.Literal(dimension))
    query_sql = sql.SQL(
        "SELECT e.job_id, 1 - ({vector} <=> %(q)s) AS score"
        " FROM job_embeddings e JOIN jobs j ON j.id = e.job_id"
        " WHERE e.model_id = {model_id} AND j.posted_at >= %(since)s"
        " AND NOT EXISTS (SELECT 1 FROM applications a"
        "  WHERE a.user_id = %(user_id)s AND a.job_id = e.job_id)"
        " AND NOT EXISTS (SELECT 1 FROM feedback f"
        "  WHERE f.user_id = %(user_id)s AND f.job_id = e.job_id AND f.vote = 'down')"
        " ORDER BY {vector} <=> %(q)s LIMIT %(limit)s"
    ).format(vector=vector, model_id=sql.Literal(model_id))
    with conn.transaction(), conn.cursor(row_factory=class_row(ScoredJob)) as cur:
        # ef_search bounds how many rows one HNSW scan returns; iterative scans go on
        # past filtered-out rows (pgvector >= 0.8).
        cur.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(limit, 1000))}")
        cur.execute("SET LOCAL hnsw.iterative_scan = strict_order")
        params = {"q": query, "since": since, "user_id": user_id, "limit": limit}
        cur.execute(query_sql, params)
        return cur.fetchall()


def active_cv_owner(conn: Connection, cv_id: int) -> int | None:
    """The user whose active CV `cv_id` is; None when it is gone or was replaced."""
    row = conn.execute(
        "SELECT user_id FROM cvs WHERE id = %(id)s AND is_active", {"id": cv_id}
    ).fetchone()
    return int(str(row[0])) if row else None


@dataclass(frozen=True)
class ListedJob:
    rank: int
    score: float
    job_id: int
    title: str
    company: str
    reason: str


def listed_jobs(conn: Connection, user_id: int, limit: int = 10) -> list[ListedJob]:
    """The top of the user's stored list with job titles, for the CLI."""
    with conn.cursor(row_factory=class_row(ListedJob)) as cur:
        cur.execute(
            "SELECT r.rank, r.score, r.job_id, j.title, j.company, r.reason"
            " FROM job_recommendations r JOIN jobs j ON j.id = r.job_id"
            " WHERE r.user_id = %(user_id)s ORDER BY r.rank LIMIT %(limit)s",
            {"user_id": user_id, "limit": limit},
        )
        return cur.fetchall()
