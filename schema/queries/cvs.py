"""CVs: several per user are kept, the latest is the active one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from schema.database import Connection

_COLUMNS = "id, user_id, body, filename, content_hash, category, created_at"


@dataclass(frozen=True)
class CV:
    id: int
    user_id: int
    body: str
    filename: str | None
    content_hash: bytes
    category: str | None
    created_at: datetime


def replace_active_cv(
    conn: Connection,
    user_id: int,
    body: str,
    *,
    filename: str | None = None,
    category: str | None = None,
) -> CV:
    """Make `body` the user's active CV; the previous one stays, inactive.

    Both statements run in one transaction, so a failure leaves the old CV active.
    """
    with conn.transaction(), conn.cursor(row_factory=class_row(CV)) as cur:
        cur.execute(
            "UPDATE cvs SET is_active = false WHERE user_id = %(user_id)s AND is_active",
            {"user_id": user_id},
        )
        cur.execute(
            "INSERT INTO cvs (user_id, body, filename, content_hash, category)"
            " VALUES (%(user_id)s, %(body)s, %(filename)s, %(hash)s, %(category)s)"
            f" RETURNING {_COLUMNS}",
            {
                "user_id": user_id,
                "body": body,
                "filename": filename,
                "hash": hashlib.sha256(body.encode()).digest(),
                "category": category,
            },
        )
        cv = cur.fetchone()
    assert cv is not None  # INSERT ... RETURNING always returns the row
    return cv


def active_cv(conn: Connection, user_id: int) -> CV | None:
    """The user's active CV, or None when they never uploaded one."""
    with conn.cursor(row_factory=class_row(CV)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM cvs WHERE user_id = %(user_id)s AND is_active",
            {"user_id": user_id},
        )
        return cur.fetchone()
