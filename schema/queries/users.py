"""Users, their bearer tokens and their preferences."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from psycopg.rows import class_row

from schema.database import Connection
from schema.queries.token_listeners import announce_revocation


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    created_at: datetime
    token_id: int | None = None  # the token the caller authenticated with


@dataclass(frozen=True)
class TokenInfo:
    id: int
    created_at: datetime


@dataclass(frozen=True)
class Preferences:
    locations: list[str]
    remote_only: bool
    min_salary: Decimal | None
    excluded_companies: list[str]
    keywords: list[str]


NO_PREFERENCES = Preferences([], False, None, [], [])


def hash_token(token: str) -> bytes:
    """SHA-256 of a bearer token: tokens are random, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode()).digest()


def create_user(conn: Connection, email: str, name: str = "") -> User | None:
    """Insert a user; None when the email (case-insensitive) is taken."""
    with conn.cursor(row_factory=class_row(User)) as cur:
        cur.execute(
            "INSERT INTO users (email, name) VALUES (%(email)s, %(name)s)"
            " ON CONFLICT DO NOTHING RETURNING id, email, name, created_at",
            {"email": email.strip(), "name": name.strip()},
        )
        return cur.fetchone()


def user_by_email(conn: Connection, email: str) -> User | None:
    with conn.cursor(row_factory=class_row(User)) as cur:
        cur.execute(
            "SELECT id, email, name, created_at FROM users WHERE lower(email) = lower(%(email)s)",
            {"email": email.strip()},
        )
        return cur.fetchone()


def user_by_id(conn: Connection, user_id: int) -> User | None:
    with conn.cursor(row_factory=class_row(User)) as cur:
        cur.execute(
            "SELECT id, email, name, created_at FROM users WHERE id = %(id)s", {"id": user_id}
        )
        return cur.fetchone()


def new_token() -> str:
    """A random bearer token (256 bits)."""
    return secrets.token_urlsafe(32)


def issue_token(conn: Connection, user_id: int) -> str:
    """Create a new bearer token for the user; only its hash is stored."""
    return issue_token_with_id(conn, user_id)[1]


def issue_token_with_id(conn: Connection, user_id: int, label: str = "") -> tuple[int, str]:
    """Create a new bearer token for the user, named `label`; (its id, the token)."""
    token = new_token()
    row = conn.execute(
        "INSERT INTO api_tokens (user_id, token_hash, label)"
        " VALUES (%(user_id)s, %(hash)s, %(label)s) RETURNING id",
        {"user_id": user_id, "hash": hash_token(token), "label": label.strip()},
    ).fetchone()
    assert row is not None
    return int(str(row[0])), token


def tokens_of(conn: Connection, user_id: int) -> list[TokenInfo]:
    """The user's tokens, oldest first (ids and dates; the tokens are never stored)."""
    with conn.cursor(row_factory=class_row(TokenInfo)) as cur:
        cur.execute(
            "SELECT id, created_at FROM api_tokens WHERE user_id = %(user_id)s ORDER BY id",
            {"user_id": user_id},
        )
        return cur.fetchall()


def revoke_tokens(conn: Connection, user_id: int, token_id: int | None = None) -> int | None:
    """Delete the user's token `token_id` (or all of them) and tell every API process;
    the revocation's number (`schema.queries.token_listeners`), None when none was deleted."""
    with conn.transaction():
        cur = conn.execute(
            "DELETE FROM api_tokens WHERE user_id = %(user_id)s"
            " AND (%(id)s::bigint IS NULL OR id = %(id)s::bigint)",
            {"user_id": user_id, "id": token_id},
        )
        return announce_revocation(conn) if cur.rowcount else None


def user_by_token(conn: Connection, token: str) -> User | None:
    """The token's owner (with the token's id), or None for an unknown token."""
    with conn.cursor(row_factory=class_row(User)) as cur:
        cur.execute(
            "SELECT u.id, u.email, u.name, u.created_at, t.id AS token_id"
            " FROM api_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = %(hash)s",
            {"hash": hash_token(token)},
        )
        return cur.fetchone()


def preferences(conn: Connection, user_id: int) -> Preferences:
    """The user's preferences, or the empty defaults when never set."""
    with conn.cursor(row_factory=class_row(Preferences)) as cur:
        cur.execute(
            "SELECT locations, remote_only, min_salary, excluded_companies, keywords"
            " FROM user_preferences WHERE user_id = %(user_id)s",
            {"user_id": user_id},
        )
        return cur.fetchone() or NO_PREFERENCES


def save_preferences(conn: Connection, user_id: int, prefs: Preferences) -> None:
    conn.execute(
        "INSERT INTO user_preferences"
        " (user_id, locations, remote_only, min_salary, excluded_companies, keywords)"
        " VALUES (%(user_id)s, %(locations)s, %(remote_only)s, %(min_salary)s,"
        "  %(excluded_companies)s, %(keywords)s)"
        " ON CONFLICT (user_id) DO UPDATE SET locations = EXCLUDED.locations,"
        "  remote_only = EXCLUDED.remote_only, min_salary = EXCLUDED.min_salary,"
        "  excluded_companies = EXCLUDED.excluded_companies, keywords = EXCLUDED.keywords,"
        "  updated_at = now()",
        {
            "user_id": user_id,
            "locations": prefs.locations,
            "remote_only": prefs.remote_only,
            "min_salary": prefs.min_salary,
            "excluded_companies": prefs.excluded_companies,
            "keywords": prefs.keywords,
        },
    )
