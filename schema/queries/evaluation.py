"""What users did with jobs, read as relevance labels for model evaluation."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from psycopg.rows import class_row

from schema.database import Connection


@dataclass(frozen=True)
class EvaluationJob:
    id: int
    title: str
    description: str
    company: str
    location: str
    tags: list[str]
    category: str | None
    remote: bool


def interaction_grades(conn: Connection) -> dict[int, dict[int, int]]:
    """user id → job id → grade: applied 3; saved and up-voted 2; either 1; down-voted 0.

    A down vote wins over a save: the user said no. Users with no positive grade are left out.
    """
    rows = conn.execute(
        """
        WITH signals AS (
            SELECT user_id, job_id, 3 AS applied, 0 AS saved, 0 AS up, 0 AS down
              FROM applications
            UNION ALL SELECT user_id, job_id, 0, 1, 0, 0 FROM saved_jobs
            UNION ALL SELECT user_id, job_id, 0, 0, (vote = 'up')::int, (vote = 'down')::int
              FROM feedback
        )
        SELECT user_id, job_id,
               CASE WHEN max(applied) > 0 THEN 3
                    WHEN max(down) > 0 THEN 0
                    ELSE max(saved) + max(up) END AS grade
          FROM signals GROUP BY user_id, job_id
        """
    ).fetchall()
    grades: dict[int, dict[int, int]] = {}
    for user_id, job_id, grade in rows:
        grades.setdefault(int(str(user_id)), {})[int(str(job_id))] = int(str(grade))
    return {user: jobs for user, jobs in grades.items() if any(g > 0 for g in jobs.values())}


def user_cvs(conn: Connection, user_ids: list[int]) -> dict[int, str]:
    """The current text of the active named CV of each user that has one."""
    rows = conn.execute(
        "SELECT c.user_id, c.body FROM cvs c"
        " JOIN named_cvs n ON n.id = c.named_cv_id AND n.is_active"
        " WHERE c.is_active AND c.user_id = ANY(%(ids)s)",
        {"ids": user_ids},
    ).fetchall()
    return {int(str(user_id)): str(body) for user_id, body in rows}


def jobs_for_evaluation(
    conn: Connection, judged: Collection[int], recent: int
) -> list[EvaluationJob]:
    """Every judged job plus the `recent` newest jobs, each once."""
    with conn.cursor(row_factory=class_row(EvaluationJob)) as cur:
        cur.execute(
            "SELECT id, title, description, company, location, tags, category, remote FROM jobs"
            " WHERE id = ANY(%(judged)s)"
            "    OR id IN (SELECT id FROM jobs ORDER BY posted_at DESC, id DESC LIMIT %(recent)s)"
            " ORDER BY id",
            {"judged": list(judged), "recent": recent},
        )
        return cur.fetchall()
