"""PostgreSQL's binary COPY format, read and written with numpy a whole block at a time.

Vectors and recommendation lists move in bulk (tens of thousands of rows a run), where
psycopg's per-value adaptation costs more than the database work itself. Every row of
such a COPY has the same layout, so numpy lays out or parses all of them in one go.

Format reference: the "Binary Format" section of PostgreSQL's COPY documentation.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from schema.database import Connection

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, no flags, no header extension
TRAILER = b"\xff\xff"
NULL = b"\xff\xff\xff\xff"  # a field's or element's length -1
_HEADER_BYTES = len(HEADER)
# An array field: its byte length; 1 dimension, has-NULL flag, element type, size, lower bound.
_ARRAY_HEAD = struct.Struct(">iiiIii")
INT8_OID, FLOAT4_OID, TEXT_OID = 20, 700, 25
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def read_vectors(
    conn: Connection, select: str, params: Mapping[str, object], dimension: int, ids: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of `select`'s rows (`ids` bigints, then a vector), read through one
    binary COPY: an (rows × ids) int64 matrix and a (rows × dimension) float32 one."""
    query = f"COPY ({select}) TO STDOUT (FORMAT BINARY)"
    with conn.cursor() as cur, cur.copy(query, params) as copy:
        data = b"".join(bytes(chunk) for chunk in copy)
    return parse_vectors(data, dimension, ids)


def parse_vectors(data: bytes, dimension: int, ids: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Parse a binary COPY of rows of `ids` bigints then a vector(dimension)."""
    columns: list[tuple[str, str] | tuple[str, str, tuple[int]]] = [("fields", ">i2")]
    for n in range(ids):
        columns += [(f"id{n}_len", ">i4"), (f"id{n}", ">i8")]
    columns += [("vector_len", ">i4"), ("dim", ">u2"), ("unused", ">u2")]
    row = np.dtype([*columns, ("vector", ">f4", (dimension,))])
    count = (len(data) - _HEADER_BYTES - len(TRAILER)) // row.itemsize
    rows = np.frombuffer(data, dtype=row, count=count, offset=_HEADER_BYTES)
    if count and not ((rows["fields"] == ids + 1).all() and (rows["dim"] == dimension).all()):
        raise ValueError(f"stored vectors are not all {dimension}-dimensional for this model")
    keys = np.stack([rows[f"id{n}"] for n in range(ids)], axis=1).astype(np.int64)
    return keys.reshape(count, ids), rows["vector"].astype(np.float32)


def elements(values: npt.NDArray[Any], dtype: str) -> bytes:
    """Fixed-size array elements laid end to end: each one's byte length, then its value
    (`dtype` big-endian, e.g. ">i8"). Slice `itemsize + 4` bytes per element."""
    laid_out = np.empty(len(values), dtype=[("length", ">i4"), ("value", dtype)])
    laid_out["length"] = np.dtype(dtype).itemsize
    laid_out["value"] = values
    return laid_out.tobytes()


def text_elements(texts: list[str | None]) -> list[bytes]:
    """Each text as an array element (NULL for None); repeated texts are encoded once."""
    encoded: dict[str | None, bytes] = {None: NULL}
    for text in set(texts) - {None}:
        assert text is not None
        data = text.encode()
        encoded[text] = struct.pack(">i", len(data)) + data
    return list(map(encoded.__getitem__, texts))


def array_field(element_oid: int, count: int, body: bytes, *, has_null: bool = False) -> bytes:
    """A one-dimensional array field of `count` elements already encoded in `body` (an
    empty array has no dimension at all, as PostgreSQL writes it)."""
    if count == 0:
        return struct.pack(">iiiI", 12, 0, 0, element_oid)
    head = _ARRAY_HEAD.pack(20 + len(body), 1, int(has_null), element_oid, count, 1)
    return head + body


def timestamp_field(moment: datetime) -> bytes:
    """A timestamptz field: its length, then microseconds since 2000-01-01 UTC."""
    micros = (moment - _PG_EPOCH) // timedelta(microseconds=1)
    return struct.pack(">iq", 8, micros)
