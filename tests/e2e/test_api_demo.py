"""The demo data: loads on an empty database, is dated relative to now, loads again
without duplicating anything, and its users' tokens open the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar.testing import TestClient

from schema.database import connect
from server.app import create_app
from server.demo import DEMO_USERS, demo_records, is_empty, load_demo
from workers.settings import Settings


def test_demo_records_are_varied_and_recent() -> None:
    now = datetime.now(UTC)
    records = demo_records(now)
    assert len(records) >= 40
    assert len({r.company for r in records}) >= 10
    assert len({r.category for r in records}) >= 8
    assert all(now - timedelta(days=6) < r.posted_at <= now for r in records)
    assert len({r.source_id for r in records}) == len(records)


def test_demo_loads_once_and_its_tokens_work(db_url: str, tmp_path: Path) -> None:
    assert is_empty(db_url)
    first = load_demo(db_url)
    assert first.jobs_new == len(demo_records())
    assert [u.email for u in first.users] == [email for email, _, _ in DEMO_USERS]
    assert not is_empty(db_url)
    again = load_demo(db_url)
    assert again.jobs_new == 0
    assert [u.id for u in again.users] == [u.id for u in first.users]
    with connect(db_url) as conn:
        row = conn.execute("SELECT count(*) FROM cvs").fetchone()
    assert row is not None
    assert row[0] == len(DEMO_USERS)  # an unchanged CV is not stored twice
    with TestClient(create_app(Settings(home=tmp_path), database_url=db_url)) as client:
        for user in first.users + again.users:
            me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {user.token}"})
            assert me.json()["email"] == user.email
        headers = {"Authorization": f"Bearer {again.users[0].token}"}
        cv = client.get("/api/v1/users/me/cv", headers=headers).json()
        assert cv["filename"] == DEMO_USERS[0][2]
        jobs = client.get("/api/v1/jobs", headers=headers, params={"limit": 100}).json()
        assert len(jobs["items"]) == len(demo_records())
