"""Server-side web sessions: a random id in a cookie, its SHA-256 here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg.rows import class_row

from schema.database import Connection
from schema.queries.users import hash_token


@dataclass(frozen=True)
class SessionUser:
    """The person a live session belongs to."""

    id: int
    email: str
    name: str
    created_at: datetime
    is_admin: bool
    expires_at: datetime


def open_session(conn: Connection, user_id: int, lifetime: timedelta) -> str:
    """A new session for the user (their expired ones are dropped); the cookie's value."""
    session_id = secrets.token_urlsafe(32)
    with conn.transaction():
        conn.execute(
            "DELETE FROM web_sessions WHERE user_id = %(user_id)s AND expires_at <= now()",
            {"user_id": user_id},
        )
        conn.execute(
            "INSERT INTO web_sessions (id_hash, user_id, expires_at)"
            " VALUES (%(hash)s, %(user_id)s, now() + %(lifetime)s)",
            {"hash": hash_token(session_id), "user_id": user_id, "lifetime": lifetime},
        )
    return session_id


def session_user(conn: Connection, session_id: str) -> SessionUser | None:
    """The owner of a live (unexpired) session, or None."""
    with conn.cursor(row_factory=class_row(SessionUser)) as cur:
        cur.execute(
            "SELECT u.id, u.email, u.name, u.created_at, u.is_admin, s.expires_at"
            " FROM web_sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.id_hash = %(hash)s AND s.expires_at > now()",
            {"hash": hash_token(session_id)},
        )
        return cur.fetchone()


def extend_session(conn: Connection, session_id: str, lifetime: timedelta) -> None:
    """Push a live session's expiry `lifetime` from now (sessions expire when idle)."""
    conn.execute(
        "UPDATE web_sessions SET last_seen_at = now(), expires_at = now() + %(lifetime)s"
        " WHERE id_hash = %(hash)s AND expires_at > now()",
        {"hash": hash_token(session_id), "lifetime": lifetime},
    )


def close_session(conn: Connection, session_id: str) -> None:
    """Sign out: the session is gone, its cookie signs nobody in any more."""
    conn.execute(
        "DELETE FROM web_sessions WHERE id_hash = %(hash)s", {"hash": hash_token(session_id)}
    )


def expire_session(conn: Connection, session_id: str) -> None:
    """End a session as if its time had run out (tests; an operator's forced sign-out)."""
    conn.execute(
        "UPDATE web_sessions SET expires_at = now() - interval '1 second' WHERE id_hash = %(hash)s",
        {"hash": hash_token(session_id)},
    )
