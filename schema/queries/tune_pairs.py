"""What `jobmatch tune` learns from: users' signals joined to CV and job text, postings
that several sources wrote (same dedupe key, migration 002), and every job's text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from psycopg.rows import class_row

from schema.database import Connection


@dataclass(frozen=True)
class TuneJob:
    """The fields a job's training text is made of (`embeddings.text.JobFields`)."""

    id: int
    title: str
    company: str
    location: str
    remote: bool
    tags: list[str]
    category: str | None
    description: str


@dataclass(frozen=True)
class UserSignal:
    """A user's active CV and one job they acted on: liked (applied, saved, voted up) or
    not (voted down, which wins over a save)."""

    user_id: int
    cv_body: str
    liked: bool
    job: TuneJob


_JOB_COLUMNS = "j.id, j.title, j.company, j.location, j.remote, j.tags, j.category, j.description"


def user_signals(conn: Connection) -> list[UserSignal]:
    """Every (user with an active CV, job acted on), by user then job."""
    rows = conn.execute(
        f"""
        WITH signals AS (
            SELECT user_id, job_id, false AS down FROM applications
            UNION ALL SELECT user_id, job_id, false FROM saved_jobs
            UNION ALL SELECT user_id, job_id, vote = 'down' FROM feedback
        ), verdicts AS (
            SELECT user_id, job_id, NOT bool_or(down) AS liked FROM signals
            GROUP BY user_id, job_id
        )
        SELECT v.user_id, c.body, v.liked, {_JOB_COLUMNS}
          FROM verdicts v
          JOIN cvs c ON c.user_id = v.user_id AND c.is_active
          JOIN jobs j ON j.id = v.job_id
         ORDER BY v.user_id, j.id
        """
    ).fetchall()
    return [
        UserSignal(int(str(r[0])), str(r[1]), bool(r[2]), TuneJob(*r[3:]))  # type: ignore[arg-type]
        for r in rows
    ]


def duplicate_groups(conn: Connection) -> list[list[TuneJob]]:
    """Jobs stored apart that share a dedupe key across sources (their places did not
    match, so ingestion kept both): one posting as each source wrote it."""
    rows = conn.execute(
        f"""
        SELECT j.dedupe_key, {_JOB_COLUMNS} FROM jobs j
         WHERE j.dedupe_key IN (
               SELECT dedupe_key FROM jobs WHERE dedupe_key <> ''
                GROUP BY dedupe_key HAVING count(DISTINCT source) > 1)
         ORDER BY j.dedupe_key, j.id
        """
    ).fetchall()
    groups: dict[str, list[TuneJob]] = {}
    for key, *fields in rows:
        groups.setdefault(str(key), []).append(TuneJob(*fields))  # type: ignore[arg-type]
    return list(groups.values())


def dedupe_keys(conn: Connection, companies: Sequence[str], titles: Sequence[str]) -> list[str]:
    """The database's own dedupe key (`jobmatch_dedupe_key`) of each (company, title),
    for jobs read from files: one rule for what counts as the same posting."""
    rows = conn.execute(
        "SELECT jobmatch_dedupe_key(c, t) FROM unnest(%(c)s::text[], %(t)s::text[])"
        " WITH ORDINALITY AS u(c, t, n) ORDER BY n",
        {"c": list(companies), "t": list(titles)},
    ).fetchall()
    return [str(row[0]) for row in rows]


def jobs_for_sections(conn: Connection, limit: int) -> list[TuneJob]:
    """The `limit` newest jobs, for head → requirements pairs."""
    with conn.cursor(row_factory=class_row(TuneJob)) as cur:
        cur.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs j ORDER BY j.posted_at DESC, j.id DESC"
            " LIMIT %(limit)s",
            {"limit": limit},
        )
        return cur.fetchall()
