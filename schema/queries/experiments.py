"""Experiments (live A/B comparison of two models) and the lists users saw (migration 018)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg.rows import class_row

from schema.database import Connection


@dataclass(frozen=True)
class Experiment:
    id: int
    model_id: int
    model: str
    control_model_id: int
    control_model: str
    share: float
    started_at: datetime
    ends_at: datetime
    stopped_at: datetime | None


@dataclass(frozen=True)
class Arm:
    """A side of a running experiment: its users (the share, or the rest) and their model."""

    experiment_id: int
    share: float
    treated: bool  # True: the users in the share, served the shadow model


@dataclass(frozen=True)
class UserOutcome:
    """What one user did with the lists one model made for them, during an experiment."""

    model_id: int
    user_id: int
    saved_top10: bool
    applied_top10: bool
    voted_down: bool
    mean_rank: float | None  # of the listed jobs saved, applied to or voted up


class ExperimentOpenError(ValueError):
    """Another experiment is running; stop it first."""


_SELECT = (
    "SELECT x.id, x.model_id, m.name AS model, x.control_model_id, c.name AS control_model,"
    " x.share, x.started_at, x.ends_at, x.stopped_at"
    " FROM experiments x JOIN embedding_models m ON m.id = x.model_id"
    " JOIN embedding_models c ON c.id = x.control_model_id"
)


def start_experiment(
    conn: Connection, *, model_id: int, control_model_id: int, share: float, days: float
) -> Experiment:
    """Open an experiment now; one past its end is closed first. Raises
    `ExperimentOpenError` while another one runs."""
    try:
        with conn.transaction():
            conn.execute(
                "UPDATE experiments SET stopped_at = ends_at"
                " WHERE stopped_at IS NULL AND ends_at <= now()"
            )
            row = conn.execute(
                "INSERT INTO experiments (model_id, control_model_id, share, ends_at)"
                " VALUES (%(model)s, %(control)s, %(share)s, now() + %(days)s)"
                " RETURNING id",
                {
                    "model": model_id,
                    "control": control_model_id,
                    "share": share,
                    "days": timedelta(days=days),
                },
            ).fetchone()
    except psycopg.errors.UniqueViolation as error:
        raise ExperimentOpenError("an experiment is running; stop it first") from error
    assert row is not None
    found = experiment_by_id(conn, int(str(row[0])))
    assert found is not None
    return found


def stop_experiment(conn: Connection) -> Experiment | None:
    """Close the open experiment now (or at its end, if that has passed); None if none."""
    row = conn.execute(
        "UPDATE experiments SET stopped_at = least(now(), ends_at)"
        " WHERE stopped_at IS NULL RETURNING id"
    ).fetchone()
    return experiment_by_id(conn, int(str(row[0]))) if row else None


def experiment_by_id(conn: Connection, experiment_id: int) -> Experiment | None:
    with conn.cursor(row_factory=class_row(Experiment)) as cur:
        cur.execute(_SELECT + " WHERE x.id = %(id)s", {"id": experiment_id})
        return cur.fetchone()


def running_experiment(conn: Connection) -> Experiment | None:
    """The experiment serving users now: open and not past its end."""
    with conn.cursor(row_factory=class_row(Experiment)) as cur:
        cur.execute(_SELECT + " WHERE x.stopped_at IS NULL AND x.ends_at > now()")
        return cur.fetchone()


def latest_experiment(conn: Connection) -> Experiment | None:
    """The most recently started experiment, running or not."""
    with conn.cursor(row_factory=class_row(Experiment)) as cur:
        cur.execute(_SELECT + " ORDER BY x.started_at DESC, x.id DESC LIMIT 1")
        return cur.fetchone()


def record_view(conn: Connection, user_id: int, named_cv_id: int, generated_at: datetime) -> None:
    """Keep the stored list of the user's named CV (made at `generated_at`) as seen, with
    its model and jobs in order; a list already kept is left as first seen.

    The commit does not wait for the disk (a few ms on the read that first shows a
    list): a crash may lose the last views, which costs the report a few, not a user.
    """
    with conn.transaction():
        conn.execute("SET LOCAL synchronous_commit TO OFF")
        conn.execute(
            "INSERT INTO list_views (user_id, named_cv_id, generated_at, model_id, job_ids)"
            " SELECT user_id, named_cv_id, generated_at, model_id, job_ids"
            " FROM recommendation_lists WHERE named_cv_id = %(named)s"
            " AND user_id = %(user_id)s AND generated_at = %(generated_at)s"
            " ON CONFLICT DO NOTHING",
            {"user_id": user_id, "named": named_cv_id, "generated_at": generated_at},
        )


# Each action (save, application, vote) counts against the last list the user had seen
# before it, if that list came from one of the experiment's models, in its window; the
# job's place in that list is its rank (NULL: not in the list).
_OUTCOMES = """
WITH win AS (
    SELECT started_at AS since, coalesce(stopped_at, least(now(), ends_at)) AS until,
           ARRAY[model_id, control_model_id] AS models
    FROM experiments WHERE id = %(id)s),
views AS (
    SELECT v.* FROM list_views v, win
    WHERE v.seen_at >= win.since AND v.seen_at < win.until AND v.model_id = ANY (win.models)),
acts AS (
    SELECT user_id, job_id, 'save' AS kind, saved_at AS at FROM saved_jobs
    UNION ALL SELECT user_id, job_id, 'apply', applied_at FROM applications
    UNION ALL SELECT user_id, job_id, vote, created_at FROM feedback),
attributed AS (
    SELECT a.user_id, a.kind, w.model_id, array_position(w.job_ids, a.job_id) AS rank
    FROM win, acts a
    JOIN LATERAL (SELECT v.model_id, v.job_ids FROM views v
                  WHERE v.user_id = a.user_id AND v.seen_at <= a.at
                  ORDER BY v.seen_at DESC LIMIT 1) w ON true
    WHERE a.at >= win.since AND a.at < win.until
      AND a.user_id IN (SELECT user_id FROM views))
SELECT v.model_id, v.user_id,
       coalesce(bool_or(t.kind = 'save' AND t.rank <= 10), false) AS saved_top10,
       coalesce(bool_or(t.kind = 'apply' AND t.rank <= 10), false) AS applied_top10,
       coalesce(bool_or(t.kind = 'down' AND t.rank IS NOT NULL), false) AS voted_down,
       avg(t.rank) FILTER (WHERE t.kind IN ('save', 'apply', 'up'))::float8 AS mean_rank
FROM (SELECT DISTINCT model_id, user_id FROM views) v
LEFT JOIN attributed t ON t.user_id = v.user_id AND t.model_id = v.model_id
GROUP BY v.model_id, v.user_id
ORDER BY v.model_id, v.user_id
"""


def experiment_outcomes(conn: Connection, experiment_id: int) -> list[UserOutcome]:
    """One row per (model, user) who saw a list of that model during the experiment."""
    with conn.cursor(row_factory=class_row(UserOutcome)) as cur:
        cur.execute(_OUTCOMES, {"id": experiment_id})
        return cur.fetchall()
