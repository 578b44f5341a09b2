"""A model's vector set as a whole: how complete it is, and removing it."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql
from psycopg.rows import class_row

from schema.database import Connection


@dataclass(frozen=True)
class Coverage:
    model_id: int
    jobs_embedded: int
    jobs_total: int
    cvs_embedded: int
    cvs_total: int

    @property
    def complete(self) -> bool:
        return self.jobs_embedded >= self.jobs_total and self.cvs_embedded >= self.cvs_total


def coverage(conn: Connection) -> dict[int, Coverage]:
    """Per model: current vectors of jobs and of active CVs, against how many exist."""
    with conn.cursor(row_factory=class_row(Coverage)) as cur:
        cur.execute(
            """
            SELECT m.id AS model_id,
                   (SELECT count(*) FROM job_embeddings e JOIN jobs j ON j.id = e.job_id
                     WHERE e.model_id = m.id) AS jobs_embedded,
                   (SELECT count(*) FROM jobs) AS jobs_total,
                   (SELECT count(*) FROM cv_embeddings e JOIN cvs c ON c.id = e.cv_id
                     WHERE e.model_id = m.id AND c.is_active) AS cvs_embedded,
                   (SELECT count(*) FROM cvs WHERE is_active) AS cvs_total
              FROM embedding_models m ORDER BY m.id
            """
        )
        return {row.model_id: row for row in cur.fetchall()}


def remove_model(conn: Connection, model_id: int) -> bool:
    """Drop an inactive model's vectors, indexes and row; False when it is the active one."""
    with conn.transaction():
        deleted = conn.execute(
            "DELETE FROM embedding_models WHERE id = %(id)s AND NOT is_active", {"id": model_id}
        )
        if deleted.rowcount != 1:
            return False
        for table in ("job_embeddings", "cv_embeddings"):
            index = sql.Identifier(f"{table}_hnsw_model_{model_id}")
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(index))
    return True
