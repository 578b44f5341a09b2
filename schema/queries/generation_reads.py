"""What the nightly generation reads: candidate jobs, users' CV vectors, their filters
and exclusions (and the per-user pgvector baseline the benchmark compares against).

Writing the new lists is in `list_writes`; serving them is in `list_pages`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
from psycopg import sql
from psycopg.rows import class_row

from schema.binary_copy import read_vectors
from schema.database import Connection
from schema.queries.experiments import Arm


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
    """One named CV of a user whose current version has a vector under the model (see
    `users_to_recommend`): each named CV gets a list of its own."""

    user_id: int
    named_cv_id: int
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
    " AND j.closed_at IS NULL"  # a posting found closed is never picked again (019)
    " AND j.duplicate_of IS NULL"  # one job per repost group (020)
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
        ids, matrix = read_vectors(
            conn, "SELECT j.id, e.embedding" + _CANDIDATES + " ORDER BY j.id", params, dimension
        )
    if ids[:, 0].tolist() != [job.id for job in jobs]:
        raise RuntimeError("candidate jobs and their vectors were read out of step")
    return jobs, matrix


_USERS = (
    "FROM cvs c JOIN cv_embeddings e ON e.cv_id = c.id AND e.model_id = %(model_id)s"
    " WHERE c.is_active AND c.user_id %% %(shards)s = %(shard)s"
    " AND (%(user_ids)s::bigint[] IS NULL OR c.user_id = ANY(%(user_ids)s))"
    " AND (%(experiment_id)s::int IS NULL"
    "      OR (jobmatch_experiment_bucket(%(experiment_id)s, c.user_id) < %(share)s)"
    "         = %(treated)s)"
)


def _arm_params(arm: Arm | None) -> dict[str, object]:
    """Only the arm's users (the experiment's share, or the rest); everyone without one."""
    if arm is None:
        return {"experiment_id": None, "share": None, "treated": None}
    return {"experiment_id": arm.experiment_id, "share": arm.share, "treated": arm.treated}


def users_to_recommend(
    conn: Connection,
    model_id: int,
    dimension: int,
    *,
    user_ids: Sequence[int] | None = None,
    shard: int = 0,
    shards: int = 1,
    arm: Arm | None = None,
) -> tuple[list[UserQuery], np.ndarray]:
    """The named CVs with an embedded current version, all of each user's (optionally
    only `user_ids`', or one shard of `user_id % shards`, or one experiment arm), by user
    and named CV, and their vectors as one float32 matrix (row i is query i), read like
    the candidates' (`candidates`)."""
    params: dict[str, object] = {"model_id": model_id, "shard": shard, "shards": shards}
    params |= {"user_ids": user_ids} | _arm_params(arm)
    select = (
        "SELECT c.user_id, c.named_cv_id, c.id, e.embedding "
        + _USERS
        + " ORDER BY c.user_id, c.named_cv_id"
    )
    ids, matrix = read_vectors(conn, select, params, dimension, ids=3)
    return [UserQuery(user, named, cv) for user, named, cv in ids.tolist()], matrix


def count_users_to_recommend(conn: Connection, model_id: int) -> int:
    """How many named CVs (lists to make) have an embedded current version under the model."""
    params = {"model_id": model_id, "shard": 0, "shards": 1, "user_ids": None}
    row = conn.execute("SELECT count(*) " + _USERS, params | _arm_params(None)).fetchone()
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
        " WHERE e.model_id = {model_id} AND j.posted_at >= %(since)s AND j.closed_at IS NULL"
        " AND j.duplicate_of IS NULL"
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
    """The user whose CV `cv_id` is, while it is the current version of one of their named
    CVs; None when it is gone or was replaced."""
    row = conn.execute(
        "SELECT user_id FROM cvs WHERE id = %(id)s AND is_active", {"id": cv_id}
    ).fetchone()
    return int(str(row[0])) if row else None


def feedback_vectors(
    conn: Connection, model_id: int, dimension: int, named_cv_ids: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """What these named CVs' owners acted on, with the jobs' vectors under the model: rows
    of (named_cv_id, +1 liked or -1 disliked) and their vectors, by named CV. Liked:
    applied to, saved (both count for each of the person's CVs) or voted up on that
    CV's list; disliked: voted down on it. Jobs of any age count."""
    select = (
        "SELECT f.named_cv_id, f.sign, e.embedding FROM ("
        " SELECT n.id AS named_cv_id, a.job_id, 1::bigint AS sign FROM named_cvs n"
        "  JOIN applications a ON a.user_id = n.user_id WHERE n.id = ANY(%(ids)s)"
        " UNION SELECT n.id, s.job_id, 1 FROM named_cvs n"
        "  JOIN saved_jobs s ON s.user_id = n.user_id WHERE n.id = ANY(%(ids)s)"
        " UNION SELECT named_cv_id, job_id, CASE WHEN vote = 'up' THEN 1 ELSE -1 END"
        "  FROM feedback WHERE named_cv_id = ANY(%(ids)s)"
        ") AS f JOIN job_embeddings e ON e.job_id = f.job_id AND e.model_id = %(model_id)s"
        " ORDER BY f.named_cv_id"
    )
    params = {"ids": list(named_cv_ids), "model_id": model_id}
    return read_vectors(conn, select, params, dimension, ids=2)
