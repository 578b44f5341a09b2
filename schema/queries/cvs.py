"""CV versions: each named CV keeps all it was given; its latest is the current one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from schema.database import Connection

_COLUMNS = "id, user_id, named_cv_id, body, filename, content_hash, category, created_at"


@dataclass(frozen=True)
class CV:
    id: int
    user_id: int
    named_cv_id: int
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
    named_cv_id: int | None = None,
) -> CV:
    """Make `body` the current version of the user's named CV `named_cv_id` (default:
    their active one, made as "main" when they have none); the previous version stays.

    All statements run in one transaction, so a failure leaves the old version current.
    The caller checks that `named_cv_id` is the user's.
    """
    with conn.transaction(), conn.cursor(row_factory=class_row(CV)) as cur:
        if named_cv_id is None:
            named_cv_id = _active_or_first(conn, user_id)
        cur.execute(
            "UPDATE cvs SET is_active = false WHERE named_cv_id = %(named)s AND is_active",
            {"named": named_cv_id},
        )
        cur.execute(
            "INSERT INTO cvs (user_id, named_cv_id, body, filename, content_hash, category)"
            " VALUES (%(user_id)s, %(named)s, %(body)s, %(filename)s, %(hash)s, %(category)s)"
            f" RETURNING {_COLUMNS}",
            {
                "user_id": user_id,
                "named": named_cv_id,
                "body": body,
                "filename": filename,
                "hash": hashlib.sha256(body.encode()).digest(),
                "category": category,
            },
        )
        cv = cur.fetchone()
    assert cv is not None  # INSERT ... RETURNING always returns the row
    return cv


def _active_or_first(conn: Connection, user_id: int) -> int:
    """The user's active named CV's id, made now (named "main") when they have none
    (`jobmatch_active_named_cv`, migration 021)."""
    row = conn.execute("SELECT jobmatch_active_named_cv(%(u)s)", {"u": user_id}).fetchone()
    assert row is not None  # made if it was missing
    assert row[0] is not None
    return int(str(row[0]))


def active_cv(conn: Connection, user_id: int) -> CV | None:
    """The current version of the user's active named CV, or None when they have none."""
    with conn.cursor(row_factory=class_row(CV)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM cvs WHERE is_active AND named_cv_id ="
            " (SELECT id FROM named_cvs WHERE user_id = %(user_id)s AND is_active)",
            {"user_id": user_id},
        )
        return cur.fetchone()


def current_cv(conn: Connection, named_cv_id: int) -> CV | None:
    """The current version of a named CV."""
    with conn.cursor(row_factory=class_row(CV)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM cvs WHERE named_cv_id = %(named)s AND is_active",
            {"named": named_cv_id},
        )
        return cur.fetchone()
