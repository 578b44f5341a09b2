"""Password hashing with Argon2id (argon2-cffi, its default RFC 9106 parameters)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD = 8
MAX_PASSWORD = 200  # Argon2 takes any length; a cap keeps a huge form field from costing CPU.


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id hash (salt and parameters included) to store."""
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> tuple[bool, bool]:
    """(the password matches, the hash should be remade with current parameters).

    An account without a password (API-only) is checked against a dummy hash, so a
    wrong guess costs the same time whether the email exists or not.
    """
    hasher = _hasher()
    try:
        ok = hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False, False
    if stored is None:
        return False, False
    return ok, hasher.check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    return _hasher().hash("no account has this password")


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"choose a password of at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"choose a password of at most {MAX_PASSWORD} characters"
    return None
