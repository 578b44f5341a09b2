"""Errors a person can act on: each message names the problem and how to fix it."""


class DatabaseError(RuntimeError):
    """The database cannot be used as configured."""
