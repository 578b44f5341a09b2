"""Writing users' new recommendation lists, each block of users in one transaction.

A user's list is one row of `recommendation_lists` (parallel arrays, position = rank).
A block's lists are replaced in one transaction, so a reader (or a run killed half-way)
sees each user's old list or new list, never a mix.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from schema.queries.recommendations import Connection


@dataclass(frozen=True)
class NewLists:
    """New lists of a block of users, best first; per-pick values laid end to end
    (`counts[u]` picks of user u, in user order)."""

    user_ids: list[int]
    cv_ids: list[int]
    counts: npt.NDArray[np.int64]
    job_ids: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]
    evidence: npt.NDArray[np.int64]  # see embeddings.evidence
    fits: list[str | None]  # see embeddings.reasons.location_fit


def replace_lists(
    conn: Connection,
    user_ids: Sequence[int],
    lists: NewLists,
    *,
    model_id: int,
    generated_at: datetime,
    expires_at: datetime,
) -> int:
    """Replace the lists of `user_ids` with `lists` in one transaction; the number of
    recommendations written. A user in `user_ids` without a non-empty list is left with
    none."""
    body = _binary_copy(lists, model_id, _timestamp(generated_at) + _timestamp(expires_at))
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "DELETE FROM recommendation_lists WHERE user_id = ANY(%(ids)s)",
            {"ids": list(user_ids)},
        )
        with cur.copy(
            "COPY recommendation_lists (user_id, model_id, cv_id, job_ids, scores, evidence,"
            " fits, generated_at, expires_at) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.write(body)
    return int(lists.counts.sum())


# The COPY is built by hand in PostgreSQL's binary format: ~500,000 recommendations a
# night, and psycopg's generic row dumping (or text format, with its escaping, float
# printing on this side and parsing on the server's) cost more than the insert itself.
# Numbers are laid out for a whole block at once by numpy.
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # no flags, no header extension
_END = b"\xff\xff"
_NULL = b"\xff\xff\xff\xff"  # an element's length -1: NULL
_ROW_START = struct.Struct(">hiqiiiq")  # 9 fields; user_id, model_id, cv_id
# Byte length; 1 dimension, a NULL flag, element type, size, lower bound 1.
_ARRAY_HEAD = struct.Struct(">iiiIii")
_INT8_OID, _FLOAT4_OID, _TEXT_OID = 20, 700, 25
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _binary_copy(lists: NewLists, model_id: int, stamps: bytes) -> bytes:
    """COPY BINARY data for these lists (empty ones skipped); `stamps` are both
    timestamp fields, encoded."""
    ids = _elements(lists.job_ids, ">i8")
    scores = _elements(lists.scores, ">f4")
    evidence = _elements(lists.evidence, ">i8")
    fits = _fit_elements(lists.fits)
    counts = lists.counts.tolist()
    rows, at = [_SIGNATURE], 0
    for user_id, cv_id, count in zip(lists.user_ids, lists.cv_ids, counts, strict=True):
        if count:
            fit_bytes = b"".join(fits[at : at + count])
            rows += (
                _ROW_START.pack(9, 8, user_id, 4, model_id, 8, cv_id),
                _ARRAY_HEAD.pack(20 + 12 * count, 1, 0, _INT8_OID, count, 1),
                ids[12 * at : 12 * (at + count)],
                _ARRAY_HEAD.pack(20 + 8 * count, 1, 0, _FLOAT4_OID, count, 1),
                scores[8 * at : 8 * (at + count)],
                _ARRAY_HEAD.pack(20 + 12 * count, 1, 0, _INT8_OID, count, 1),
                evidence[12 * at : 12 * (at + count)],
                _ARRAY_HEAD.pack(20 + len(fit_bytes), 1, 1, _TEXT_OID, count, 1),
                fit_bytes,
                stamps,
            )
        at += count
    rows.append(_END)
    return b"".join(rows)


def _elements(values: npt.NDArray[Any], dtype: str) -> bytes:
    """Array elements in binary: each value's byte length, then the value (big-endian)."""
    laid_out = np.empty(len(values), dtype=[("length", ">i4"), ("value", dtype)])
    laid_out["length"] = np.dtype(dtype).itemsize
    laid_out["value"] = values
    return laid_out.tobytes()


def _fit_elements(fits: list[str | None]) -> list[bytes]:
    """Each fit as a text array element; a run has few distinct fits, encoded once."""
    encoded: dict[str | None, bytes] = {None: _NULL}
    for fit in set(fits) - {None}:
        assert fit is not None
        data = fit.encode()
        encoded[fit] = struct.pack(">i", len(data)) + data
    return list(map(encoded.__getitem__, fits))


def _timestamp(moment: datetime) -> bytes:
    """A timestamptz field: its length, then microseconds since 2000-01-01 UTC."""
    micros = (moment - _PG_EPOCH) // timedelta(microseconds=1)
    return struct.pack(">iq", 8, micros)
