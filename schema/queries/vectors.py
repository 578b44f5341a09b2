"""Job and CV vectors per model: what needs (re-)embedding, and writing the results.

A vector is stale when the entity's `content_hash` differs from the hash stored with the
vector; missing and stale are found by one anti-join per page, keyed on the entity id,
so a run over unchanged data costs one cheap query and no encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pgvector import Vector
from psycopg.rows import class_row

from schema.database import Connection

Vectors = npt.NDArray[np.float32]

_JOB_STALE = (
    "FROM jobs j LEFT JOIN job_embeddings e ON e.job_id = j.id AND e.model_id = %(model_id)s"
    " WHERE (e.job_id IS NULL OR e.content_hash <> j.content_hash)"
)
_CV_STALE = (
    "FROM cvs c LEFT JOIN cv_embeddings e ON e.cv_id = c.id AND e.model_id = %(model_id)s"
    " WHERE c.is_active AND (e.cv_id IS NULL OR e.content_hash <> c.content_hash)"
)


@dataclass(frozen=True)
class PendingJob:
    """The job fields the text template reads, and the hash they hash to."""

    id: int
    title: str
    company: str
    location: str
    remote: bool
    tags: list[str]
    category: str | None
    description: str
    content_hash: bytes


@dataclass(frozen=True)
class PendingCV:
    id: int
    body: str
    content_hash: bytes


def count_jobs(conn: Connection) -> int:
    row = conn.execute("SELECT count(*) FROM jobs").fetchone()
    return int(row[0]) if row else 0  # type: ignore[call-overload]


def count_active_cvs(conn: Connection) -> int:
    row = conn.execute("SELECT count(*) FROM cvs WHERE is_active").fetchone()
    return int(row[0]) if row else 0  # type: ignore[call-overload]


def count_pending_jobs(conn: Connection, model_id: int) -> int:
    """Jobs with no vector under `model_id`, or one made from other content."""
    row = conn.execute(f"SELECT count(*) {_JOB_STALE}", {"model_id": model_id}).fetchone()
    return int(row[0]) if row else 0  # type: ignore[call-overload]


def count_pending_cvs(conn: Connection, model_id: int) -> int:
    """Active CVs with no vector under `model_id`, or one made from other content."""
    row = conn.execute(f"SELECT count(*) {_CV_STALE}", {"model_id": model_id}).fetchone()
    return int(row[0]) if row else 0  # type: ignore[call-overload]


def pending_jobs(
    conn: Connection, model_id: int, *, after_id: int = 0, limit: int = 256
) -> list[PendingJob]:
    """The next `limit` jobs (by id, after `after_id`) whose vector is missing or stale."""
    with conn.cursor(row_factory=class_row(PendingJob)) as cur:
        cur.execute(
            "SELECT j.id, j.title, j.company, j.location, j.remote, j.tags, j.category,"
            f" j.description, j.content_hash {_JOB_STALE} AND j.id > %(after_id)s"
            " ORDER BY j.id LIMIT %(limit)s",
            {"model_id": model_id, "after_id": after_id, "limit": limit},
        )
        return cur.fetchall()


def pending_cvs(
    conn: Connection, model_id: int, *, after_id: int = 0, limit: int = 256
) -> list[PendingCV]:
    """The next `limit` active CVs (by id) whose vector is missing or stale."""
    with conn.cursor(row_factory=class_row(PendingCV)) as cur:
        cur.execute(
            f"SELECT c.id, c.body, c.content_hash {_CV_STALE} AND c.id > %(after_id)s"
            " ORDER BY c.id LIMIT %(limit)s",
            {"model_id": model_id, "after_id": after_id, "limit": limit},
        )
        return cur.fetchall()


def cv_by_id(conn: Connection, cv_id: int) -> PendingCV | None:
    """One CV (active or not) as the embedder needs it."""
    with conn.cursor(row_factory=class_row(PendingCV)) as cur:
        cur.execute("SELECT id, body, content_hash FROM cvs WHERE id = %(id)s", {"id": cv_id})
        return cur.fetchone()


def stored_cv_hash(conn: Connection, model_id: int, cv_id: int) -> bytes | None:
    """The content hash the CV's vector under `model_id` was made from, if any."""
    row = conn.execute(
        "SELECT content_hash FROM cv_embeddings WHERE model_id = %(model_id)s AND cv_id = %(id)s",
        {"model_id": model_id, "id": cv_id},
    ).fetchone()
    return bytes(row[0]) if row else None  # type: ignore[call-overload]


def write_job_vectors(
    conn: Connection, model_id: int, jobs: Sequence[tuple[int, bytes]], vectors: Vectors
) -> None:
    """Store `vectors[i]` for job `jobs[i] = (id, content hash it was made from)`.

    A job deleted meanwhile (cleanup) is skipped rather than failing the batch.
    """
    _write(
        conn,
        table="job_embeddings",
        key="job_id",
        owner="jobs",
        model_id=model_id,
        rows=jobs,
        vectors=vectors,
    )


def write_cv_vectors(
    conn: Connection, model_id: int, cvs: Sequence[tuple[int, bytes]], vectors: Vectors
) -> None:
    """Store `vectors[i]` for CV `cvs[i] = (id, content hash)`; deleted CVs are skipped."""
    _write(
        conn,
        table="cv_embeddings",
        key="cv_id",
        owner="cvs",
        model_id=model_id,
        rows=cvs,
        vectors=vectors,
    )


def _write(
    conn: Connection,
    *,
    table: str,
    key: str,
    owner: str,
    model_id: int,
    rows: Sequence[tuple[int, bytes]],
    vectors: Vectors,
) -> None:
    if len(rows) != len(vectors):
        raise ValueError(f"{len(rows)} rows but {len(vectors)} vectors")
    params = [
        {"model_id": model_id, "id": entity_id, "hash": content_hash, "embedding": vector}
        for (entity_id, content_hash), vector in zip(rows, vectors, strict=True)
    ]
    # Table and column names are this module's constants, never input.
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table} (model_id, {key}, embedding, content_hash)"
            f" SELECT %(model_id)s, o.id, %(embedding)s, %(hash)s FROM {owner} o"
            " WHERE o.id = %(id)s"
            f" ON CONFLICT (model_id, {key}) DO UPDATE SET embedding = EXCLUDED.embedding,"
            " content_hash = EXCLUDED.content_hash, embedded_at = now()",
            params,
        )


def delete_job_vectors(conn: Connection, model_id: int, job_ids: Sequence[int]) -> None:
    """Drop the vectors of jobs that now have nothing to embed (so no stale vector lingers)."""
    conn.execute(
        "DELETE FROM job_embeddings WHERE model_id = %(model_id)s AND job_id = ANY(%(ids)s)",
        {"model_id": model_id, "ids": list(job_ids)},
    )


def delete_cv_vectors(conn: Connection, model_id: int, cv_ids: Sequence[int]) -> None:
    """Drop the vectors of CVs that now have nothing to embed."""
    conn.execute(
        "DELETE FROM cv_embeddings WHERE model_id = %(model_id)s AND cv_id = ANY(%(ids)s)",
        {"model_id": model_id, "ids": list(cv_ids)},
    )


def mark_set_stale(conn: Connection, model_id: int) -> None:
    """Every vector of the set is to be made again (`--force`): an empty content hash
    never equals a text's, so each is pending, yet keeps serving until it is replaced."""
    with conn.transaction():
        for table in ("job_embeddings", "cv_embeddings"):
            conn.execute(
                f"UPDATE {table} SET content_hash = ''::bytea WHERE model_id = %(model_id)s",
                {"model_id": model_id},
            )


def stored_dimension(conn: Connection, model_id: int) -> int | None:
    """The dimension of the vectors stored under `model_id` (None when there are none)."""
    row = conn.execute(
        "SELECT vector_dims(embedding) FROM ("
        " (SELECT embedding FROM job_embeddings WHERE model_id = %(model_id)s LIMIT 1)"
        " UNION ALL"
        " (SELECT embedding FROM cv_embeddings WHERE model_id = %(model_id)s LIMIT 1)"
        ") v LIMIT 1",
        {"model_id": model_id},
    ).fetchone()
    return int(row[0]) if row else None  # type: ignore[call-overload]


def job_vector(conn: Connection, model_id: int, job_id: int) -> Vectors | None:
    """The stored vector of one job under `model_id`."""
    row = conn.execute(
        "SELECT embedding FROM job_embeddings WHERE model_id = %(model_id)s AND job_id = %(id)s",
        {"model_id": model_id, "id": job_id},
    ).fetchone()
    return _as_array(row[0]) if row else None


def cv_vector(conn: Connection, model_id: int, cv_id: int) -> Vectors | None:
    """The stored vector of one CV under `model_id`."""
    row = conn.execute(
        "SELECT embedding FROM cv_embeddings WHERE model_id = %(model_id)s AND cv_id = %(id)s",
        {"model_id": model_id, "id": cv_id},
    ).fetchone()
    return _as_array(row[0]) if row else None


def _as_array(value: object) -> Vectors:
    """pgvector's `Vector` (or an array) as float32 numpy."""
    if isinstance(value, Vector):
        return np.asarray(value.to_numpy(), dtype=np.float32)
    return np.asarray(value, dtype=np.float32)
