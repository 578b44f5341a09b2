"""Demo data the project wrote itself: 42 jobs across a dozen companies and fields, and
three CVs with their users. Job dates are set relative to now at load time, so the demo
always falls inside the 7-day recommendation window."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from schema.database import connection
from schema.queries.cvs import active_cv, replace_active_cv
from schema.queries.jobs import JobRecord, upsert_jobs
from schema.queries.users import create_user, issue_token, user_by_email
from workers.pipelines.embed import embed_pending
from workers.pipelines.recommend import generate
from workers.pipelines.serving import Embedders

DEMO_SOURCE = "demo"
DEMO_USERS = (
    ("maya@demo.jobmatch.dev", "Maya Okafor", "cv_backend_engineer.md"),
    ("tomas@demo.jobmatch.dev", "Tomás Reyes", "cv_data_analyst.md"),
    ("ines@demo.jobmatch.dev", "Inês Carvalho", "cv_ux_designer.md"),
)


@dataclass(frozen=True)
class DemoUser:
    id: int
    email: str
    token: str


@dataclass(frozen=True)
class DemoLoad:
    jobs_new: int
    jobs_updated: int
    users: list[DemoUser]


def _read(name: str) -> str:
    return resources.files("server").joinpath("demo_data", name).read_text(encoding="utf-8")


def demo_records(now: datetime | None = None) -> list[JobRecord]:
    """The demo jobs as records, each posted `hours_ago` before `now`."""
    now = now or datetime.now(UTC)
    rows: list[dict[str, Any]] = json.loads(_read("jobs.json"))
    return [
        JobRecord(
            source=DEMO_SOURCE,
            source_id=row["source_id"],
            title=row["title"],
            company=row["company"],
            location=row["location"],
            remote=row["remote"],
            salary_min=Decimal(row["salary_min"]) if row.get("salary_min") else None,
            salary_max=Decimal(row["salary_max"]) if row.get("salary_max") else None,
            salary_currency=row.get("salary_currency"),
            tags=tuple(row["tags"]),
            category=row.get("category"),
            description=row["description"],
            url=f"https://jobs.example.org/{row['source_id']}",
            posted_at=now - timedelta(hours=row["hours_ago"]),
        )
        for row in rows
    ]


def load_demo(url: str, now: datetime | None = None) -> DemoLoad:
    """Store the demo jobs (refreshing their dates) and the demo users with their CVs.

    Safe to run again: users are reused, a CV is replaced only when its text changed, and
    each run issues every demo user a fresh token (only hashes are stored, so an old one
    cannot be shown again).
    """
    users: list[DemoUser] = []
    with connection(url) as conn:
        counts = upsert_jobs(conn, demo_records(now))
        for email, name, cv_file in DEMO_USERS:
            user = user_by_email(conn, email) or create_user(conn, email, name)
            assert user is not None  # created, or found just above
            text = _read(cv_file)
            current = active_cv(conn, user.id)
            if current is None or current.body != text.strip():
                replace_active_cv(conn, user.id, text.strip(), filename=cv_file)
            users.append(DemoUser(id=user.id, email=email, token=issue_token(conn, user.id)))
    return DemoLoad(jobs_new=counts.new, jobs_updated=counts.updated, users=users)


def is_empty(url: str) -> bool:
    """True when the database holds neither jobs nor users (a first start)."""
    with connection(url) as conn:
        row = conn.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM jobs) AND NOT EXISTS (SELECT 1 FROM users)"
        ).fetchone()
    return bool(row and row[0])


def embed_and_recommend(url: str, embedders: Embedders, say: Callable[[str], None] = print) -> None:
    """Embed what is new under the serving model, then generate every user's list (the
    worker's use cases, run here so the demo is ready before the API answers)."""
    say("loading the embedding model …")
    embedder, options = embedders.serving(url)
    say("embedding jobs and CVs …")
    embed_pending(url, embedder, text_options=options)
    summary = generate(url)
    say(f"generated {summary.recommendations} recommendations for {summary.users} user(s)")
