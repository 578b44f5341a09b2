"""The feed and the digest: who turned them on, their tokens, what was mailed, and the
one read of a person's top matches both of them send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from schema.database import Connection
from schema.queries.job_listing import OFFERED
from schema.queries.list_pages import ACTIVE_LISTS
from schema.queries.users import hash_token


@dataclass(frozen=True)
class NotificationState:
    """A person's feed and digest switches (both off without a row)."""

    feed_enabled_at: datetime | None
    digest_enabled: bool
    last_digest_at: datetime | None


NOTHING_ON = NotificationState(None, False, None)


@dataclass(frozen=True)
class Match:
    """One of a person's stored top matches, with its reason written out."""

    rank: int
    score: float
    reason: str
    job_id: int
    title: str
    company: str
    location: str
    remote: bool
    url: str
    posted_at: datetime
    updated_at: datetime
    generated_at: datetime  # when the list holding it was made


@dataclass(frozen=True)
class DigestRecipient:
    user_id: int
    email: str
    name: str
    unsubscribe_token: str
    last_digest_at: datetime | None
    # The active named CV's name when the person has several: the digest says whose
    # list it is (None with one CV, where there is nothing to tell apart).
    cv_name: str | None = None


# The person's list is the list of their active named CV (migration 021), read here and
# nowhere else in this module. As the API's page (list_pages.py): ranks count the list's
# jobs that are still offered (not deleted, closed or a repost) and that the person has
# not voted down, an expired list counts as none, each job is fetched by its key (the
# OFFSET 0 keeps the planner from hashing a scan of `jobs`, which the
# `job_recommendations` view did: a scan of the catalog per person), and reasons are
# written from the stored evidence only for the rows returned.
_TOP_SQL = (
    "SELECT row_number() OVER (ORDER BY e.position) AS rank, e.score, e.evidence, e.fit,"
    " j.id AS job_id, j.title, j.company, j.location, j.remote, j.url, j.posted_at,"
    " j.updated_at, l.generated_at"
    f" FROM {ACTIVE_LISTS}"
    " CROSS JOIN LATERAL unnest(l.job_ids, l.scores, l.evidence, l.fits) WITH ORDINALITY"
    "   AS e (job_id, score, evidence, fit, position)"
    " JOIN LATERAL (SELECT * FROM jobs WHERE jobs.id = e.job_id OFFSET 0) j ON true"
    f" WHERE l.user_id = %(user_id)s AND l.expires_at > now() AND {OFFERED}"
    " AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.user_id = l.user_id"
    "                 AND f.job_id = e.job_id AND f.vote = 'down')"
    " ORDER BY e.position LIMIT %(limit)s"
)
_CV_PROFILE = (
    "SELECT p.term_keys, p.quote_text, p.quote_starts, p.quote_ends"
    f" FROM {ACTIVE_LISTS} JOIN cv_text_profiles p ON p.cv_id = l.cv_id"
    " WHERE l.user_id = %(user_id)s"
)


def _matches_sql(where: str = "true") -> str:
    """The top `limit` of the list that pass `where` (over `top`), reasons written."""
    return (
        f"WITH cv AS MATERIALIZED ({_CV_PROFILE})"
        " SELECT top.rank, top.score, jobmatch_reason(top.evidence, top.fit,"
        "   jp.term_keys, jp.shown, jp.quote_text, jp.quote_starts, jp.quote_ends,"
        "   cv.term_keys, cv.quote_text, cv.quote_starts, cv.quote_ends) AS reason,"
        " top.job_id, top.title, top.company, top.location, top.remote, top.url,"
        " top.posted_at, top.updated_at, top.generated_at"
        f" FROM ({_TOP_SQL}) AS top"
        " LEFT JOIN job_text_profiles jp ON jp.job_id = top.job_id"
        " LEFT JOIN cv ON true"
        f" WHERE {where} ORDER BY top.rank"
    )


def top_matches(conn: Connection, user_id: int, limit: int) -> list[Match]:
    """The first `limit` matches of the person's stored list, best first."""
    with conn.cursor(row_factory=class_row(Match)) as cur:
        cur.execute(_matches_sql(), {"user_id": user_id, "limit": limit})
        return cur.fetchall()


def unsent_top_matches(conn: Connection, user_id: int, depth: int) -> list[Match]:
    """Those of the person's first `depth` matches that no digest has carried yet."""
    unsent = (
        "NOT EXISTS (SELECT 1 FROM digest_sent_jobs s"
        " WHERE s.user_id = %(user_id)s AND s.job_id = top.job_id)"
    )
    with conn.cursor(row_factory=class_row(Match)) as cur:
        cur.execute(_matches_sql(unsent), {"user_id": user_id, "limit": depth})
        return cur.fetchall()


def notification_state(conn: Connection, user_id: int) -> NotificationState:
    with conn.cursor(row_factory=class_row(NotificationState)) as cur:
        cur.execute(
            "SELECT feed_enabled_at, digest_enabled, last_digest_at"
            " FROM notification_settings WHERE user_id = %(user_id)s",
            {"user_id": user_id},
        )
        return cur.fetchone() or NOTHING_ON


def set_feed_token(conn: Connection, user_id: int, token: str) -> None:
    """Turn the feed on with `token` (only its hash is kept), replacing any earlier one."""
    conn.execute(
        "INSERT INTO notification_settings (user_id, feed_token_hash, feed_enabled_at)"
        " VALUES (%(user_id)s, %(hash)s, now()) ON CONFLICT (user_id) DO UPDATE"
        " SET feed_token_hash = EXCLUDED.feed_token_hash, feed_enabled_at = now(),"
        "  updated_at = now()",
        {"user_id": user_id, "hash": hash_token(token)},
    )


def clear_feed_token(conn: Connection, user_id: int) -> None:
    """Turn the feed off: its URL stops working."""
    conn.execute(
        "UPDATE notification_settings SET feed_token_hash = NULL, feed_enabled_at = NULL,"
        " updated_at = now() WHERE user_id = %(user_id)s",
        {"user_id": user_id},
    )


def feed_owner(conn: Connection, token: str) -> int | None:
    """The user whose feed `token` opens, or None (unknown, rotated or turned off)."""
    row = conn.execute(
        "SELECT user_id FROM notification_settings WHERE feed_token_hash = %(hash)s",
        {"hash": hash_token(token)},
    ).fetchone()
    return int(str(row[0])) if row else None


def enable_digest(conn: Connection, user_id: int, unsubscribe_token: str) -> None:
    """Opt in; `unsubscribe_token` is kept unless the digest was already on with one."""
    conn.execute(
        "INSERT INTO notification_settings (user_id, digest_enabled, unsubscribe_token)"
        " VALUES (%(user_id)s, true, %(token)s) ON CONFLICT (user_id) DO UPDATE"
        " SET digest_enabled = true, updated_at = now(),"
        "  unsubscribe_token = coalesce(notification_settings.unsubscribe_token,"
        "                               EXCLUDED.unsubscribe_token)",
        {"user_id": user_id, "token": unsubscribe_token},
    )


def disable_digest(conn: Connection, user_id: int) -> None:
    conn.execute(
        "UPDATE notification_settings SET digest_enabled = false, updated_at = now()"
        " WHERE user_id = %(user_id)s",
        {"user_id": user_id},
    )


def unsubscribe(conn: Connection, token: str) -> bool:
    """Turn off the digest the token belongs to; False for an unknown token. A repeated
    click on a link already used still says yes."""
    row = conn.execute(
        "UPDATE notification_settings SET digest_enabled = false, updated_at = now()"
        " WHERE unsubscribe_token = %(token)s RETURNING user_id",
        {"token": token},
    ).fetchone()
    return row is not None


def digest_recipients(conn: Connection) -> list[DigestRecipient]:
    """Everyone who opted in to the digest, by user id."""
    with conn.cursor(row_factory=class_row(DigestRecipient)) as cur:
        cur.execute(
            "SELECT u.id AS user_id, u.email, u.name, n.unsubscribe_token, n.last_digest_at,"
            " (SELECT a.name FROM named_cvs a WHERE a.user_id = u.id AND a.is_active"
            "  AND EXISTS (SELECT 1 FROM named_cvs o WHERE o.user_id = u.id AND NOT o.is_active)"
            " ) AS cv_name"
            " FROM notification_settings n JOIN users u ON u.id = n.user_id"
            " WHERE n.digest_enabled ORDER BY u.id"
        )
        return cur.fetchall()


def record_digest(conn: Connection, user_id: int, job_ids: list[int]) -> None:
    """The digest carrying `job_ids` went out: they are never sent to this person again."""
    with conn.transaction():
        conn.execute(
            "INSERT INTO digest_sent_jobs (user_id, job_id)"
            # A job deleted since the mail was written has nothing left to remember.
            " SELECT %(user_id)s, id FROM jobs WHERE id = ANY (%(job_ids)s::bigint[])"
            " ON CONFLICT DO NOTHING",
            {"user_id": user_id, "job_ids": job_ids},
        )
        conn.execute(
            "UPDATE notification_settings SET last_digest_at = now() WHERE user_id = %(user_id)s",
            {"user_id": user_id},
        )
