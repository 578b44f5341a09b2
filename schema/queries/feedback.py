"""Feedback on jobs: an up or down vote, cast on one named CV's list (it steers that CV's
next list); a down vote hides the job from all the user's lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from schema.database import Connection


@dataclass(frozen=True)
class Feedback:
    job_id: int
    vote: str
    reason: str
    created_at: datetime


def record_feedback(
    conn: Connection,
    user_id: int,
    job_id: int,
    vote: str,
    reason: str,
    *,
    named_cv_id: int | None = None,
) -> Feedback | None:
    """Store (or replace) the user's vote on a job, cast on the list of their named CV
    `named_cv_id` (default: their active one), which it steers; None when the job does
    not exist. The caller checks that `named_cv_id` is the user's.

    A down vote also drops the job from all the user's stored lists in the same
    transaction, so it is gone at once; later generations exclude it themselves.
    """
    with conn.transaction(), conn.cursor(row_factory=class_row(Feedback)) as cur:
        cur.execute(
            "INSERT INTO feedback (user_id, job_id, vote, reason, named_cv_id)"
            # No named CV: the active one (a trigger of migration 021 fills it in).
            " SELECT %(user_id)s, id, %(vote)s, %(reason)s, %(named)s::bigint"
            " FROM jobs WHERE id = %(job_id)s"
            " ON CONFLICT (user_id, job_id) DO UPDATE"
            " SET vote = EXCLUDED.vote, reason = EXCLUDED.reason,"
            "  named_cv_id = EXCLUDED.named_cv_id, created_at = now()"
            " RETURNING job_id, vote, reason, created_at",
            {
                "user_id": user_id,
                "job_id": job_id,
                "vote": vote,
                "reason": reason,
                "named": named_cv_id,
            },
        )
        row = cur.fetchone()
        if row is not None and vote == "down":
            cur.execute(_DROP_FROM_LIST, {"user_id": user_id, "job_id": job_id})
    return row


# Each list without the job, ranks closing up; an emptied list stays (as an empty one).
_DROP_FROM_LIST = (
    "UPDATE recommendation_lists l SET (job_ids, scores, evidence, fits) = ("
    "  SELECT coalesce(array_agg(e.job_id ORDER BY e.rank), '{}'),"
    "         coalesce(array_agg(e.score ORDER BY e.rank), '{}'),"
    "         coalesce(array_agg(e.evidence ORDER BY e.rank), '{}'),"
    "         coalesce(array_agg(e.fit ORDER BY e.rank), '{}')"
    "  FROM unnest(l.job_ids, l.scores, l.evidence, l.fits)"
    "   WITH ORDINALITY AS e (job_id, score, evidence, fit, rank)"
    "  WHERE e.job_id <> %(job_id)s)"
    " WHERE l.user_id = %(user_id)s AND %(job_id)s = ANY (l.job_ids)"
)
