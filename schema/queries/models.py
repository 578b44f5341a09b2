"""Embedding models: one row per model, at most one active; an HNSW index per model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from schema.database import Connection

_COLUMNS = "id, name, dimension, is_active, created_at"


@dataclass(frozen=True)
class EmbeddingModel:
    id: int
    name: str
    dimension: int
    is_active: bool
    created_at: datetime


class DimensionMismatchError(ValueError):
    """A model was registered before with another dimension."""


def register_model(conn: Connection, name: str, dimension: int) -> EmbeddingModel:
    """The model's row, created (with its HNSW indexes) on first sight.

    Raises `DimensionMismatchError` when `name` is stored with another dimension: its
    vectors could not be compared with the new ones.
    """
    existing = model_by_name(conn, name)
    if existing is not None:
        if existing.dimension != dimension:
            raise DimensionMismatchError(
                f"model {name!r} produces {dimension}-dimensional vectors but the database "
                f"holds {existing.dimension}-dimensional ones for it; register it under "
                "another name or remove the old set with `jobmatch models remove`"
            )
        return existing
    with conn.transaction(), conn.cursor(row_factory=class_row(EmbeddingModel)) as cur:
        cur.execute(
            "INSERT INTO embedding_models (name, dimension) VALUES (%(name)s, %(dimension)s)"
            f" RETURNING {_COLUMNS}",
            {"name": name, "dimension": dimension},
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
    with conn.cursor(row_factory=class_row(EmbeddingModel)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM embedding_models WHERE name = %(name)s", {"name": name}
        )
        return cur.fetchone()


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
