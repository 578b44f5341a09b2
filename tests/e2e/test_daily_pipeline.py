"""The 06:00 and 07:00 tasks as the worker runs them: scrape real-shaped API responses from
a replay server, embed them with the real model, then generate every user's list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from schema.database import Connection
from schema.queries.cvs import replace_active_cv
from schema.queries.users import create_user
from tests.fakes import real_model_tasks
from tests.integration.test_scrape import serve_fixtures
from tests.replay_server import replay_server
from workers.tasks import Tasks


@pytest.fixture
def tasks(db_url: str, tmp_path: Path) -> Iterator[Tasks]:
    """Immediate-mode tasks with the real model, sources pointed at a replay server."""
    with replay_server() as server:
        urls = serve_fixtures(server)
        yield real_model_tasks(
            db_url,
            tmp_path,
            sources=("remoteok", "remotive", "arbeitnow", "themuse"),
            source_urls=urls,
        )


def test_scrape_embed_then_generate(tasks: Tasks, conn: Connection) -> None:
    user = create_user(conn, "dev@example.com")
    assert user is not None
    replace_active_cv(conn, user.id, "Backend developer: Python, Django, PostgreSQL, AWS.")

    tasks.scrape_and_embed()
    jobs = conn.execute("SELECT source, count(*) FROM jobs GROUP BY source").fetchall()
    assert {source for source, _ in jobs} == {"remoteok", "remotive", "arbeitnow", "themuse"}
    missing = conn.execute(
        "SELECT count(*) FROM jobs j WHERE NOT EXISTS"
        " (SELECT 1 FROM job_embeddings e WHERE e.job_id = j.id)"
    ).fetchone()
    assert missing == (0,)
    run = conn.execute(
        "SELECT status, counts ? 'sources', counts ? 'embedded',"
        " counts -> 'reposts' ->> 'model' IS NOT NULL FROM task_runs"
        " WHERE task = 'scrape_and_embed'"
    ).fetchone()
    assert run == ("succeeded", True, True, True)  # reposts grouped under the new vectors

    tasks.generate_all_recommendations()
    listed = conn.execute(
        "SELECT rank, score, reason FROM job_recommendations WHERE user_id = %(u)s ORDER BY rank",
        {"u": user.id},
    ).fetchall()
    assert listed, "the user with a CV got a list"
    assert [row[0] for row in listed] == list(range(1, len(listed) + 1))
    scores = [float(str(row[1])) for row in listed]
    assert scores == sorted(scores, reverse=True)
    assert all(str(row[2]).strip() for row in listed)
