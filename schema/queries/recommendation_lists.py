"""Writing users' new recommendation lists, each block of users in one transaction.

A user's list is one row of `recommendation_lists` (parallel arrays, position = rank).
A block's lists are replaced in one transaction, so a reader (or a run killed half-way)
sees each user's old list or new list, never a mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from schema.queries.recommendations import Connection


@dataclass(frozen=True, slots=True)
class NewList:
    """One user's new list, best first."""

    user_id: int
    job_ids: list[int]
    scores: list[float]
    reasons: list[str]


def replace_lists(
    conn: Connection,
    user_ids: Sequence[int],
    lists: Sequence[NewList],
    *,
    model_id: int,
    generated_at: datetime,
    expires_at: datetime,
) -> int:
    """Replace the lists of `user_ids` with `lists` in one transaction; the number of
    recommendations written. A user in `user_ids` without a non-empty list is left with
    none."""
    stamp = f"{generated_at.isoformat()}\t{expires_at.isoformat()}\n"
    body = "".join(_copy_line(new, model_id, stamp) for new in lists if new.job_ids)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "DELETE FROM recommendation_lists WHERE user_id = ANY(%(ids)s)",
            {"ids": list(user_ids)},
        )
        with cur.copy(
            "COPY recommendation_lists"
            " (user_id, model_id, job_ids, scores, reasons, generated_at, expires_at)"
            " FROM STDIN"
        ) as copy:
            copy.write(body.encode())
    return sum(len(new.job_ids) for new in lists)


# COPY's text format is written by hand: psycopg's generic row formatting took longer
# than PostgreSQL's whole insert (bench/recommend.py), and str.replace runs in C.
def _copy_line(new: NewList, model_id: int, stamp: str) -> str:
    """One tab-separated COPY line; `stamp` is the shared timestamps and newline."""
    job_ids = "{" + ",".join(map(str, new.job_ids)) + "}"
    scores = "{" + ",".join(map(repr, new.scores)) + "}"
    reasons = _copy_escape(_text_array(new.reasons))
    return f"{new.user_id}\t{model_id}\t{job_ids}\t{scores}\t{reasons}\t{stamp}"


def _text_array(items: Sequence[str]) -> str:
    """A PostgreSQL array literal of `items`, each element quoted. Joined on NUL (which
    PostgreSQL text cannot hold) and escaped in one pass, not item by item."""
    joined = "\0".join(items).replace("\\", "\\\\").replace('"', '\\"')
    return '{"' + joined.replace("\0", '","') + '"}'


def _copy_escape(field: str) -> str:
    """`field` escaped for COPY's text format."""
    return (
        field.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
