"""Named CVs: up to `MAX_NAMED_CVS` per person, one of them active, each with its own
versions (`cvs`) and its own stored list (`recommendation_lists.named_cv_id`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from psycopg import errors as pg_errors
from psycopg.rows import class_row

from schema.database import Connection

MAX_NAMED_CVS = 5
MAX_NAME_LENGTH = 40


class NamedCvLimitError(Exception):
    """The person already has `MAX_NAMED_CVS` named CVs."""


class NamedCvNameTakenError(Exception):
    """The person already has a named CV of that name (case aside)."""


@dataclass(frozen=True)
class NamedCv:
    """A named CV with its current version's id and when that was uploaded."""

    id: int
    user_id: int
    name: str
    is_active: bool
    created_at: datetime
    cv_id: int | None
    updated_at: datetime | None


_SELECT = (
    "SELECT n.id, n.user_id, n.name, n.is_active, n.created_at,"
    " c.id AS cv_id, c.created_at AS updated_at"
    " FROM named_cvs n LEFT JOIN cvs c ON c.named_cv_id = n.id AND c.is_active"
)


def named_cvs(conn: Connection, user_id: int) -> list[NamedCv]:
    """The person's named CVs, oldest first."""
    with conn.cursor(row_factory=class_row(NamedCv)) as cur:
        cur.execute(
            _SELECT + " WHERE n.user_id = %(u)s ORDER BY n.created_at, n.id", {"u": user_id}
        )
        return cur.fetchall()


def named_cv(conn: Connection, user_id: int, named_cv_id: int) -> NamedCv | None:
    """One of the person's named CVs; None when there is none of that id, or it is
    somebody else's (the two are not told apart)."""
    with conn.cursor(row_factory=class_row(NamedCv)) as cur:
        cur.execute(
            _SELECT + " WHERE n.id = %(id)s AND n.user_id = %(u)s",
            {"id": named_cv_id, "u": user_id},
        )
        return cur.fetchone()


def add_named_cv(conn: Connection, user_id: int, name: str, body: str, filename: str | None) -> int:
    """A new named CV with its first version, in one transaction; its id. It is made
    active when it is the person's first. Raises `NamedCvLimitError` on a sixth and
    `NamedCvNameTakenError` on a name the person already uses."""
    with conn.transaction():
        # The person's row is locked so two additions at once cannot both be the fifth.
        conn.execute("SELECT 1 FROM users WHERE id = %(u)s FOR UPDATE", {"u": user_id})
        row = conn.execute(
            "SELECT count(*) FROM named_cvs WHERE user_id = %(u)s", {"u": user_id}
        ).fetchone()
        count = int(str(row[0])) if row else 0
        if count >= MAX_NAMED_CVS:
            raise NamedCvLimitError
        try:
            with conn.transaction():
                row = conn.execute(
                    "INSERT INTO named_cvs (user_id, name, is_active)"
                    " VALUES (%(u)s, %(name)s, %(first)s) RETURNING id",
                    {"u": user_id, "name": name, "first": count == 0},
                ).fetchone()
        except pg_errors.UniqueViolation:
            raise NamedCvNameTakenError from None
        assert row is not None  # INSERT ... RETURNING always returns the row
        named_cv_id = int(str(row[0]))
        conn.execute(
            "INSERT INTO cvs (user_id, named_cv_id, body, filename, content_hash)"
            " VALUES (%(u)s, %(named)s, %(body)s, %(filename)s, %(hash)s)",
            {
                "u": user_id,
                "named": named_cv_id,
                "body": body,
                "filename": filename,
                "hash": hashlib.sha256(body.encode()).digest(),
            },
        )
    return named_cv_id


def rename_named_cv(conn: Connection, user_id: int, named_cv_id: int, name: str) -> bool:
    """Rename one of the person's named CVs; False when it is not theirs. Raises
    `NamedCvNameTakenError` when another of theirs has the name."""
    try:
        with conn.transaction():
            renamed = conn.execute(
                "UPDATE named_cvs SET name = %(name)s WHERE id = %(id)s AND user_id = %(u)s",
                {"name": name, "id": named_cv_id, "u": user_id},
            ).rowcount
    except pg_errors.UniqueViolation:
        raise NamedCvNameTakenError from None
    return renamed == 1


def activate_named_cv(conn: Connection, user_id: int, named_cv_id: int) -> bool:
    """Make one of the person's named CVs the active one; False when it is not theirs."""
    with conn.transaction():
        if named_cv(conn, user_id, named_cv_id) is None:
            return False
        # Two statements: the one-active index is checked per row, so the old one goes first.
        conn.execute(
            "UPDATE named_cvs SET is_active = false WHERE user_id = %(u)s AND is_active"
            " AND id <> %(id)s",
            {"u": user_id, "id": named_cv_id},
        )
        conn.execute("UPDATE named_cvs SET is_active = true WHERE id = %(id)s", {"id": named_cv_id})
    return True


def delete_named_cv(conn: Connection, user_id: int, named_cv_id: int) -> bool:
    """Delete one of the person's named CVs with its versions and its list; False when
    it is not theirs. When it was the active one, their oldest remaining one becomes
    active; deleting the last leaves them with no CV, as before their first upload."""
    with conn.transaction():
        row = conn.execute(
            "DELETE FROM named_cvs WHERE id = %(id)s AND user_id = %(u)s RETURNING is_active",
            {"id": named_cv_id, "u": user_id},
        ).fetchone()
        if row is None:
            return False
        if row[0]:
            conn.execute(
                "UPDATE named_cvs SET is_active = true WHERE id = (SELECT id FROM named_cvs"
                " WHERE user_id = %(u)s ORDER BY created_at, id LIMIT 1)",
                {"u": user_id},
            )
    return True


def named_cv_by_name(conn: Connection, user_id: int, name: str) -> NamedCv | None:
    """The person's named CV of that name (case aside)."""
    with conn.cursor(row_factory=class_row(NamedCv)) as cur:
        cur.execute(
            _SELECT + " WHERE n.user_id = %(u)s AND lower(n.name) = lower(%(name)s)",
            {"u": user_id, "name": name},
        )
        return cur.fetchone()
