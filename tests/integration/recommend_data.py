"""Plain-SQL builders for recommendation tests: models, jobs, users with embedded CVs."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from embeddings.evidence import NOTHING_SHARED
from schema.database import Connection
from schema.queries.list_writes import NewLists, replace_lists
from schema.queries.models import activate_model, register_model

_ids = itertools.count(1)


def unit(vector: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float32)
    return array / np.linalg.norm(array)


def add_model(conn: Connection, name: str = "test-model", dimension: int = 8) -> int:
    """Register and activate a model; its id."""
    model = register_model(conn, name, dimension)
    activate_model(conn, model.id)
    return model.id


def add_job(
    conn: Connection,
    model_id: int | None,
    vector: np.ndarray | None,
    *,
    title: str = "Engineer",
    company: str = "",
    location: str = "",
    remote: bool = False,
    salary: tuple[float | None, float | None] = (None, None),
    tags: Sequence[str] = (),
    description: str = "",
    posted_days_ago: float = 1.0,
) -> int:
    """Insert a job (and its vector under `model_id` when given); its id."""
    n = next(_ids)
    row = conn.execute(
        "INSERT INTO jobs (source, source_id, title, company, location, remote, salary_min,"
        " salary_max, tags, description, posted_at, content_hash)"
        " VALUES ('test', %(sid)s, %(title)s, %(company)s, %(location)s, %(remote)s,"
        " %(smin)s, %(smax)s, %(tags)s, %(description)s, %(posted)s, %(hash)s) RETURNING id",
        {
            "sid": f"job-{n}",
            "title": title,
            "company": company or f"Company {n}",
            "location": location,
            "remote": remote,
            "smin": salary[0],
            "smax": salary[1],
            "tags": list(tags),
            "description": description,
            "posted": datetime.now(UTC) - timedelta(days=posted_days_ago),
            "hash": n.to_bytes(8, "big"),
        },
    ).fetchone()
    assert row is not None
    job_id = int(str(row[0]))
    if model_id is not None and vector is not None:
        conn.execute(
            "INSERT INTO job_embeddings (model_id, job_id, embedding, content_hash)"
            " VALUES (%(m)s, %(j)s, %(v)s, %(h)s)",
            {"m": model_id, "j": job_id, "v": unit(vector), "h": b"h"},
        )
    return job_id


def add_user(
    conn: Connection,
    model_id: int | None = None,
    vector: np.ndarray | None = None,
    *,
    cv: str | None = "Python developer\nBuilt APIs with PostgreSQL",
) -> int:
    """Insert a user, with an active CV when `cv` is given and its vector when given."""
    n = next(_ids)
    row = conn.execute(
        "INSERT INTO users (email) VALUES (%(e)s) RETURNING id", {"e": f"user{n}@example.com"}
    ).fetchone()
    assert row is not None
    user_id = int(str(row[0]))
    if cv is None:
        return user_id
    cv_row = conn.execute(
        "INSERT INTO cvs (user_id, body, content_hash) VALUES (%(u)s, %(b)s, %(h)s) RETURNING id",
        {"u": user_id, "b": cv, "h": b"cv"},
    ).fetchone()
    assert cv_row is not None
    if model_id is not None and vector is not None:
        conn.execute(
            "INSERT INTO cv_embeddings (model_id, cv_id, embedding, content_hash)"
            " VALUES (%(m)s, %(c)s, %(v)s, %(h)s)",
            {"m": model_id, "c": cv_row[0], "v": unit(vector), "h": b"cv"},
        )
    return user_id


def stored(conn: Connection, user_id: int) -> list[tuple[int, int, float]]:
    """(job_id, rank, score) of the user's stored list, by rank."""
    rows = conn.execute(
        "SELECT job_id, rank, score FROM job_recommendations WHERE user_id = %(u)s ORDER BY rank",
        {"u": user_id},
    ).fetchall()
    return [(int(str(r[0])), int(str(r[1])), float(str(r[2]))) for r in rows]


def store_list(
    conn: Connection,
    user_id: int,
    model_id: int,
    job_ids: Sequence[int],
    *,
    expires_at: datetime,
    fit: str | None = "remote",
) -> None:
    """Store `job_ids` (best first) as the user's list, the way generation writes it
    (its reasons: nothing shared, and `fit`)."""
    named, cv = active_cv_ids(conn, user_id)
    scores = [0.9 - rank / 100 for rank in range(len(job_ids))]
    new = new_lists([(user_id, named, cv, list(job_ids), scores)], fit=fit)
    generated_at = datetime.now(UTC)
    replace_lists(
        conn,
        [named],
        new,
        model_id=model_id,
        generated_at=generated_at,
        expires_at=expires_at,
    )


def active_cv_ids(conn: Connection, user_id: int) -> tuple[int, int]:
    """(named CV id, current version's id) of the user's active named CV."""
    row = conn.execute(
        "SELECT n.id, c.id FROM named_cvs n JOIN cvs c ON c.named_cv_id = n.id AND c.is_active"
        " WHERE n.user_id = %(u)s AND n.is_active",
        {"u": user_id},
    ).fetchone()
    assert row is not None, "the user has no CV"
    return int(str(row[0])), int(str(row[1]))


def new_lists(
    lists: Sequence[tuple[int, int, int, list[int], list[float]]],
    *,
    evidence: int = NOTHING_SHARED,
    fit: str | None = None,
) -> NewLists:
    """`NewLists` of (user id, named CV id, CV id, job ids, scores), every pick with this
    evidence and fit."""
    counts = np.array([len(jobs) for _, _, _, jobs, _ in lists], dtype=np.int64)
    return NewLists(
        user_ids=[user for user, _, _, _, _ in lists],
        named_cv_ids=[named for _, named, _, _, _ in lists],
        cv_ids=[cv for _, _, cv, _, _ in lists],
        counts=counts,
        job_ids=np.array([j for _, _, _, jobs, _ in lists for j in jobs], dtype=np.int64),
        scores=np.array([s for _, _, _, _, scores in lists for s in scores], dtype=np.float32),
        evidence=np.full(int(counts.sum()), evidence, dtype=np.int64),
        fits=[fit] * int(counts.sum()),
    )
