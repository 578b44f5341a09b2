"""The nightly score against a real PostgreSQL: the combined (dense + lexical) top-50 equals
an independent brute-force reference, and votes move the next list the way they should."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from bench.recommend_reference import reference_lists
from schema.database import Connection
from schema.queries.list_pages import list_state
from server.routes.recommendations import list_status
from tests.integration.recommend_data import add_job, add_model, add_user, stored, unit
from workers.pipelines.recommend import generate, generate_for_user

DIM = 8
SKILLS = ["python", "django", "kubernetes", "terraform", "nursing", "icu", "sql", "tableau"]


def _catalog(conn: Connection, model: int, count: int, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    for n in range(count):
        words = rng.choice(SKILLS, size=3, replace=False)
        add_job(
            conn,
            model,
            unit(rng.normal(size=DIM)),
            title=f"{words[0].title()} role {n}",
            company=f"Co {n % 40}",
            description=" ".join(rng.choice(SKILLS, size=12).tolist()) + " teamwork",
        )


def test_the_combined_top_50_equals_a_brute_force_reference(db_url: str, conn: Connection) -> None:
    model = add_model(conn)
    _catalog(conn, model, 300)
    rng = np.random.default_rng(9)
    cvs = ["Python Django developer, SQL", "ICU nursing, patient care", "Terraform, Kubernetes"]
    users = [add_user(conn, model, unit(rng.normal(size=DIM)), cv=cv) for cv in cvs]
    jobs = [int(str(r[0])) for r in conn.execute("SELECT id FROM jobs ORDER BY id").fetchall()]
    conn.execute("INSERT INTO applications (user_id, job_id) VALUES (%s, %s)", (users[0], jobs[5]))
    conn.execute("INSERT INTO saved_jobs (user_id, job_id) VALUES (%s, %s)", (users[1], jobs[7]))
    conn.execute(
        "INSERT INTO feedback (user_id, job_id, vote) VALUES (%s, %s, 'down'), (%s, %s, 'up')",
        (users[0], jobs[9], users[2], jobs[11]),
    )
    generate(db_url)
    reference = reference_lists(db_url, users)
    for user in users:
        assert [job for job, _, _ in stored(conn, user)] == reference[user]


def test_votes_move_the_next_list(db_url: str, conn: Connection) -> None:
    """Jobs like an up-voted one rise; jobs like a down-voted one fall."""
    model = add_model(conn)
    axis_a, axis_b = np.eye(DIM)[0], np.eye(DIM)[1]
    rng = np.random.default_rng(4)
    a_jobs = [
        add_job(conn, model, unit(axis_a + rng.normal(scale=0.6, size=DIM))) for _ in range(40)
    ]
    b_jobs = [
        add_job(conn, model, unit(axis_b + rng.normal(scale=0.6, size=DIM))) for _ in range(40)
    ]
    user = add_user(conn, model, unit(axis_a + axis_b))

    def mean_rank(jobs: list[int]) -> float:
        ranks = {job: rank for job, rank, _ in stored(conn, user)}
        return float(np.mean([ranks.get(job, 51) for job in jobs]))

    generate_for_user(db_url, user)
    before_a, before_b = mean_rank(a_jobs), mean_rank(b_jobs)
    conn.execute(
        "INSERT INTO feedback (user_id, job_id, vote) VALUES (%s, %s, 'up'), (%s, %s, 'down')",
        (user, a_jobs[0], user, b_jobs[0]),
    )
    generate_for_user(db_url, user)
    assert mean_rank(a_jobs) < before_a - 2
    assert mean_rank(b_jobs) > before_b + 2
    assert b_jobs[0] not in [job for job, _, _ in stored(conn, user)]  # down-voted: gone


def test_awkward_cvs_and_jobs_still_get_lists(db_url: str, conn: Connection) -> None:
    """A CV of a few words, a CV in German, a job with no description: nothing raises,
    and each CV gets a list."""
    model = add_model(conn)
    _catalog(conn, model, 60)
    add_job(conn, model, unit(np.ones(DIM)), title="Pflegekraft", description="")
    rng = np.random.default_rng(5)
    short = add_user(conn, model, unit(rng.normal(size=DIM)), cv="Java")
    german = add_user(
        conn, model, unit(rng.normal(size=DIM)), cv="Pflegefachkraft mit Erfahrung auf der ICU"
    )
    summary = generate(db_url)
    assert summary.users == 2
    assert len(stored(conn, short)) == 50
    assert len(stored(conn, german)) == 50


def test_a_user_who_voted_everything_down_gets_an_empty_ready_list(
    db_url: str, conn: Connection
) -> None:
    model = add_model(conn)
    _catalog(conn, model, 20)
    user = add_user(conn, model, unit(np.ones(DIM)))
    conn.execute(
        "INSERT INTO feedback (user_id, job_id, vote) SELECT %s, id, 'down' FROM jobs", (user,)
    )
    generate_for_user(db_url, user)
    assert stored(conn, user) == []
    state = list_state(conn, user)
    assert (state.listed, state.total, state.generated_at is not None) == (0, 0, True)
    assert list_status(state, datetime.now(UTC)) == "ready"
