"""Writing users' new recommendation lists, each block of users in one transaction.

A user's list is one row of `recommendation_lists` (parallel arrays, position = rank).
A block's lists are replaced in one transaction, so a reader (or a run killed half-way)
sees each user's old list or new list, never a mix.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain

import numpy as np

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
    kept = [new for new in lists if new.job_ids]
    body = _binary_copy(kept, model_id, _timestamp(generated_at) + _timestamp(expires_at))
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "DELETE FROM recommendation_lists WHERE user_id = ANY(%(ids)s)",
            {"ids": list(user_ids)},
        )
        with cur.copy(
            "COPY recommendation_lists"
            " (user_id, model_id, job_ids, scores, reasons, generated_at, expires_at)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.write(body)
    return sum(len(new.job_ids) for new in kept)


# The COPY is built by hand in PostgreSQL's binary format: ~500,000 recommendations a
# night, and psycopg's generic row dumping (or text format, with its escaping, float
# printing on this side and parsing on the server's) cost more than the insert itself.
# Numbers are laid out for a whole block at once by numpy; text needs no escaping.
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # no flags, no header extension
_END = b"\xff\xff"
_INT4 = struct.Struct(">i")
_ROW_START = struct.Struct(">hiqii")  # 7 fields; user_id (8 bytes), model_id (4 bytes)
_ARRAY_HEAD = struct.Struct(">iiiIii")  # byte length; 1 dimension, no NULLs, type, size, from 1
_INT8_OID, _FLOAT4_OID, _TEXT_OID = 20, 700, 25
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _binary_copy(lists: Sequence[NewList], model_id: int, stamps: bytes) -> bytes:
    """COPY BINARY data for these lists; `stamps` are both timestamp fields, encoded."""
    counts = [len(new.job_ids) for new in lists]
    ids = _elements(chain.from_iterable(new.job_ids for new in lists), ">i8", sum(counts))
    scores = _elements(chain.from_iterable(new.scores for new in lists), ">f4", sum(counts))
    rows, at = [_SIGNATURE], 0
    for new, count in zip(lists, counts, strict=True):
        texts = [reason.encode() for reason in new.reasons]
        text_bytes = sum(map(len, texts)) + 4 * count
        rows += (
            _ROW_START.pack(7, 8, new.user_id, 4, model_id),
            _ARRAY_HEAD.pack(20 + 12 * count, 1, 0, _INT8_OID, count, 1),
            ids[12 * at : 12 * (at + count)],
            _ARRAY_HEAD.pack(20 + 8 * count, 1, 0, _FLOAT4_OID, count, 1),
            scores[8 * at : 8 * (at + count)],
            _ARRAY_HEAD.pack(20 + text_bytes, 1, 0, _TEXT_OID, count, 1),
            # Each element is its byte length, then its bytes: C loops, no Python one.
            b"".join(
                chain.from_iterable(zip(map(_INT4.pack, map(len, texts)), texts, strict=True))
            ),
            stamps,
        )
        at += count
    rows.append(_END)
    return b"".join(rows)


def _elements(values: Iterable[float], dtype: str, count: int) -> bytes:
    """Array elements in binary: each value's byte length, then the value (big-endian)."""
    numbers = np.fromiter(values, dtype=dtype, count=count)
    laid_out = np.empty(count, dtype=[("length", ">i4"), ("value", dtype)])
    laid_out["length"] = numbers.itemsize
    laid_out["value"] = numbers
    return laid_out.tobytes()


def _timestamp(moment: datetime) -> bytes:
    """A timestamptz field: its length, then microseconds since 2000-01-01 UTC."""
    micros = (moment - _PG_EPOCH) // timedelta(microseconds=1)
    return struct.pack(">iq", 8, micros)
