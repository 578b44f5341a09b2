"""Embedding models: one row per vector set, at most one active; an HNSW index per set.

A row is a model's name (with its text options) and the fingerprint of the weights that
made its vectors; of a name's rows, the one its weights load today is current, the
others are stale (migration 017).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from schema.database import Connection

_COLUMNS = "id, name, dimension, is_active, created_at, fingerprint, is_current"


@dataclass(frozen=True)
class EmbeddingModel:
    id: int
    name: str
    dimension: int
    is_active: bool
    created_at: datetime
    fingerprint: str | None = None
    is_current: bool = True

    @property
    def stale(self) -> bool:
        """Made by weights its name no longer loads (retrained in place)."""
        return not self.is_current


class DimensionMismatchError(ValueError):
    """A model was registered before with another dimension."""


def register_model(
    conn: Connection, name: str, dimension: int, fingerprint: str | None = None
) -> EmbeddingModel:
    """The vector set of `name` made by the weights `fingerprint`, created (with its HNSW
    indexes) on first sight and made the name's current set (the others go stale).

    Without a fingerprint (an embedder that cannot say), the name's current set. A set
    made before fingerprints were kept is adopted by the first fingerprint seen. Raises
    `DimensionMismatchError` when the set is stored with another dimension.
    """
    with conn.transaction():
        existing = _set_for(conn, name, fingerprint)
        if existing is not None and existing.dimension != dimension:
            raise DimensionMismatchError(
                f"model {name!r} produces {dimension}-dimensional vectors but the database "
                f"holds {existing.dimension}-dimensional ones for it; register it under "
                "another name or remove the old set with `jobmatch models remove`"
            )
        if (
            existing is not None
            and existing.is_current
            and fingerprint in (None, existing.fingerprint)
        ):
            return existing
        conn.execute(
            "UPDATE embedding_models SET is_current = false WHERE name = %(name)s"
            " AND is_current AND id IS DISTINCT FROM %(id)s",
            {"name": name, "id": existing.id if existing else None},
        )
        if existing is not None:
            return _make_current(conn, existing.id, fingerprint)
        return _insert(conn, name, dimension, fingerprint)


def _set_for(conn: Connection, name: str, fingerprint: str | None) -> EmbeddingModel | None:
    """The set of these weights, else (unknown weights, or a set from before
    fingerprints) the name's current set."""
    with conn.cursor(row_factory=class_row(EmbeddingModel)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM embedding_models WHERE name = %(name)s"
            " AND (fingerprint = %(fingerprint)s"
            "      OR (is_current AND (%(fingerprint)s::text IS NULL OR fingerprint IS NULL)))"
            " ORDER BY fingerprint = %(fingerprint)s DESC NULLS LAST LIMIT 1 FOR UPDATE",
            {"name": name, "fingerprint": fingerprint},
        )
        return cur.fetchone()


def _make_current(conn: Connection, model_id: int, fingerprint: str | None) -> EmbeddingModel:
    with conn.cursor(row_factory=class_row(EmbeddingModel)) as cur:
        cur.execute(
            "UPDATE embedding_models SET is_current = true,"
            " fingerprint = coalesce(%(fingerprint)s, fingerprint)"
            f" WHERE id = %(id)s RETURNING {_COLUMNS}",
            {"id": model_id, "fingerprint": fingerprint},
        )
        model = cur.fetchone()
    assert model is not None
    return model


def _insert(conn: Connection, name: str, dimension: int, fingerprint: str | None) -> EmbeddingModel:
    with conn.cursor(row_factory=class_row(EmbeddingModel)) as cur:
        cur.execute(
            "INSERT INTO embedding_models (name, dimension, fingerprint)"
            f" VALUES (%(name)s, %(dimension)s, %(fingerprint)s) RETURNING {_COLUMNS}",
            {"name": name, "dimension": dimension, "fingerprint": fingerprint},
        )
        model = cur.fetchone()
    assert model is not None
    _create_vector_indexes(conn, model)
    return model


def _create_vector_indexes(conn: Connection, model: EmbeddingModel) -> None:
    """HNSW cosine indexes on this model's job and CV vectors (a partial expression index)."""
    for table in ("job_embeddings", "cv_embeddings"):
        conn.execute(
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {index} ON {table} USING hnsw"
                " ((embedding::vector({dim})) vector_cosine_ops) WHERE model_id = {model_id}"
            ).format(
                index=sql.Identifier(f"{table}_hnsw_model_{model.id}"),
                table=sql.Identifier(table),
                dim=sql.Literal(model.dimension),
                model_id=sql.Literal(model.id),
            )
        )


def model_by_name(conn: Connection, name: str) -> EmbeddingModel | None:
    """The name's current set (the one its weights load today)."""
    with conn.cursor(row_factory=class_row(EmbeddingModel)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM embedding_models WHERE name = %(name)s AND is_current",
            {"name": name},
        )
        return cur.fetchone()


def stale_sets(conn: Connection, name: str) -> list[EmbeddingModel]:
    """The name's sets made by weights it no longer loads, oldest first."""
    with conn.cursor(row_factory=class_row(EmbeddingModel)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM embedding_models WHERE name = %(name)s AND NOT is_current"
            " ORDER BY id",
            {"name": name},
        )
        return cur.fetchall()


def mark_stale(conn: Connection, model_id: int) -> None:
    """The set's weights are no longer what its name loads (seen on disk, not yet loaded)."""
    conn.execute(
        "UPDATE embedding_models SET is_current = false WHERE id = %(id)s", {"id": model_id}
    )


def take_over_stale_active(conn: Connection, model: EmbeddingModel) -> bool:
    """Make `model` active when the active set is a stale set of the same name (its
    weights were retrained in place); True if it did. The caller checks completeness."""
    with conn.transaction():
        cur = conn.execute(
            "UPDATE embedding_models SET is_active = false WHERE is_active"
            " AND name = %(name)s AND NOT is_current AND id <> %(id)s",
            {"name": model.name, "id": model.id},
        )
        if cur.rowcount != 1:
            return False
        conn.execute(
            "UPDATE embedding_models SET is_active = true WHERE id = %(id)s", {"id": model.id}
        )
    return True


def active_model(conn: Connection) -> EmbeddingModel | None:
    """The model whose vectors users are served; None before the first embedding."""
    with conn.cursor(row_factory=class_row(EmbeddingModel)) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM embedding_models WHERE is_active")
        return cur.fetchone()


def list_models(conn: Connection) -> list[EmbeddingModel]:
    with conn.cursor(row_factory=class_row(EmbeddingModel)) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM embedding_models ORDER BY id")
        return cur.fetchall()


def activate_model(conn: Connection, model_id: int) -> None:
    """Make `model_id` the only active model, in one transaction."""
    with conn.transaction():
        conn.execute("UPDATE embedding_models SET is_active = false WHERE is_active")
        conn.execute(
            "UPDATE embedding_models SET is_active = true WHERE id = %(id)s", {"id": model_id}
        )


def activate_if_none(conn: Connection, model_id: int) -> bool:
    """Make `model_id` active when no model is; True if it did.

    Two processes racing here both see no active model; the unique index on `is_active`
    lets one win and the other's update fails, which is read as "someone else did it".
    """
    try:
        with conn.transaction():
            cur = conn.execute(
                "UPDATE embedding_models SET is_active = true WHERE id = %(id)s"
                " AND NOT EXISTS (SELECT 1 FROM embedding_models WHERE is_active)",
                {"id": model_id},
            )
            return cur.rowcount == 1
    except psycopg.errors.UniqueViolation:
        return False
