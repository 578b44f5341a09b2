"""Writing new recommendation lists, each block of them in one transaction.

Each named CV's list is one row of `recommendation_lists` (parallel arrays, position =
rank). A block's lists are replaced in one transaction, so a reader (or a run killed
half-way) sees each list old or new, never a mix.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from schema.binary_copy import (
    FLOAT4_OID,
    HEADER,
    INT8_OID,
    TEXT_OID,
    TRAILER,
    array_field,
    elements,
    text_elements,
    timestamp_field,
)
from schema.database import Connection

# A row's first fields: the field count (10), then user_id, named_cv_id, model_id, cv_id.
_ROW_START = struct.Struct(">hiqiqiiiq")


@dataclass(frozen=True)
class NewLists:
    """New lists of a block of named CVs, best first; per-pick values laid end to end
    (`counts[u]` picks of list u, in list order)."""

    user_ids: list[int]
    named_cv_ids: list[int]
    cv_ids: list[int]
    counts: npt.NDArray[np.int64]
    job_ids: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]
    evidence: npt.NDArray[np.int64]  # see embeddings.evidence
    fits: list[str | None]  # see embeddings.reasons.location_fit


def replace_lists(
    conn: Connection,
    named_cv_ids: Sequence[int],
    lists: NewLists,
    *,
    model_id: int,
    generated_at: datetime,
    expires_at: datetime,
) -> int:
    """Replace the lists of `named_cv_ids` with `lists` in one transaction; the number
    of recommendations written. A named CV of `lists` with no pick gets an empty list
    (nothing fits right now, which readers tell apart from a list not made yet); one of
    `named_cv_ids` not in `lists` is left with none."""
    body = _copy_rows(lists, model_id, timestamp_field(generated_at) + timestamp_field(expires_at))
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "DELETE FROM recommendation_lists WHERE named_cv_id = ANY(%(ids)s)",
            {"ids": list(named_cv_ids)},
        )
        with cur.copy(
            "COPY recommendation_lists (user_id, named_cv_id, model_id, cv_id, job_ids, scores,"
            " evidence, fits, generated_at, expires_at) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.write(body)
    return int(lists.counts.sum())


def _copy_rows(lists: NewLists, model_id: int, stamps: bytes) -> bytes:
    """The binary COPY of these lists (empty ones too); `stamps` are both timestamp
    fields, encoded. Each block's numbers are laid out once by numpy, then sliced."""
    ids = elements(lists.job_ids, ">i8")
    scores = elements(lists.scores, ">f4")
    evidence = elements(lists.evidence, ">i8")
    fits = text_elements(lists.fits)
    rows, at = [HEADER], 0
    for user_id, named_cv_id, cv_id, count in zip(
        lists.user_ids, lists.named_cv_ids, lists.cv_ids, lists.counts.tolist(), strict=True
    ):
        rows += (
            _ROW_START.pack(10, 8, user_id, 8, named_cv_id, 4, model_id, 8, cv_id),
            array_field(INT8_OID, count, ids[12 * at : 12 * (at + count)]),
            array_field(FLOAT4_OID, count, scores[8 * at : 8 * (at + count)]),
            array_field(INT8_OID, count, evidence[12 * at : 12 * (at + count)]),
            array_field(TEXT_OID, count, b"".join(fits[at : at + count]), has_null=True),
            stamps,
        )
        at += count
    rows.append(TRAILER)
    return b"".join(rows)
