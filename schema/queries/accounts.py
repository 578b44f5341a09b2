"""People's web accounts: password hashes, the admin flag and their labelled API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from schema.database import Connection
from schema.queries.users import User


@dataclass(frozen=True)
class Account(User):
    """A user as the sign-in page sees them (`password_hash` None: an API-only user)."""

    password_hash: str | None = None
    is_admin: bool = False


@dataclass(frozen=True)
class TokenInfo:
    """A bearer token as its owner sees it: never the token itself, only its label."""

    id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None


_ACCOUNT = "SELECT id, email, name, created_at, password_hash, is_admin FROM users"


def account_by_email(conn: Connection, email: str) -> Account | None:
    """The account of `email` (case-insensitive), or None."""
    with conn.cursor(row_factory=class_row(Account)) as cur:
        cur.execute(f"{_ACCOUNT} WHERE lower(email) = lower(%(email)s)", {"email": email.strip()})
        return cur.fetchone()


def account_by_id(conn: Connection, user_id: int) -> Account | None:
    with conn.cursor(row_factory=class_row(Account)) as cur:
        cur.execute(f"{_ACCOUNT} WHERE id = %(id)s", {"id": user_id})
        return cur.fetchone()


def create_account(
    conn: Connection, email: str, name: str, password_hash: str, *, is_admin: bool = False
) -> Account | None:
    """A new user with a password; None when the email (case-insensitive) is taken."""
    with conn.cursor(row_factory=class_row(Account)) as cur:
        cur.execute(
            "INSERT INTO users (email, name, password_hash, is_admin)"
            " VALUES (%(email)s, %(name)s, %(hash)s, %(admin)s) ON CONFLICT DO NOTHING"
            " RETURNING id, email, name, created_at, password_hash, is_admin",
            {
                "email": email.strip(),
                "name": name.strip(),
                "hash": password_hash,
                "admin": is_admin,
            },
        )
        return cur.fetchone()


def set_password(conn: Connection, user_id: int, password_hash: str) -> None:
    """Replace the user's password hash (a rehash with newer parameters, or a new password)."""
    conn.execute(
        "UPDATE users SET password_hash = %(hash)s WHERE id = %(id)s",
        {"hash": password_hash, "id": user_id},
    )


def set_admin(conn: Connection, user_id: int, is_admin: bool = True) -> None:
    conn.execute(
        "UPDATE users SET is_admin = %(admin)s WHERE id = %(id)s",
        {"admin": is_admin, "id": user_id},
    )


def user_tokens(conn: Connection, user_id: int) -> list[TokenInfo]:
    """The user's tokens, newest first."""
    with conn.cursor(row_factory=class_row(TokenInfo)) as cur:
        cur.execute(
            "SELECT id, label, created_at, last_used_at FROM api_tokens"
            " WHERE user_id = %(user_id)s ORDER BY created_at DESC, id DESC",
            {"user_id": user_id},
        )
        return cur.fetchall()
