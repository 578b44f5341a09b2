"""The reads `jobmatch tune` learns from, on a real database: users' signals (a down vote
wins over a save), postings two sources wrote (the dedupe key of migration 002), and the
database's own key for jobs read from files."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from schema.database import Connection
from schema.queries.cvs import replace_active_cv
from schema.queries.feedback import record_feedback
from schema.queries.jobs import JobRecord, upsert_jobs
from schema.queries.saved_jobs import save_job
from schema.queries.tune_pairs import dedupe_keys, duplicate_groups, user_signals
from schema.queries.users import create_user


def _job(source: str, source_id: str, title: str, company: str, location: str) -> JobRecord:
    return JobRecord(
        source=source,
        source_id=source_id,
        title=title,
        company=company,
        location=location,
        remote=False,
        salary_min=None,
        salary_max=None,
        salary_currency=None,
        tags=(),
        category=None,
        description=f"{title} at {company}, written by {source}.",
        url=f"https://{source}.example.com/{source_id}",
        posted_at=datetime.now(UTC),
    )


def test_postings_two_sources_wrote_in_different_places_form_a_group(conn: Connection) -> None:
    berlin = _job("remotive", "1", "Data Engineer (m/w/d)", "ACME GmbH", "Berlin")
    munich = _job("arbeitnow", "a", "Data Engineer (m/w/d)", "ACME GmbH", "Munich")
    same_source = replace(berlin, source_id="2", location="Hamburg")
    other = _job("remotive", "3", "Nurse", "Care Ltd", "Berlin")
    upsert_jobs(conn, [berlin, munich, same_source, other])
    (group,) = duplicate_groups(conn)
    assert sorted(job.description for job in group) == [
        "Data Engineer (m/w/d) at ACME GmbH, written by arbeitnow.",
        "Data Engineer (m/w/d) at ACME GmbH, written by remotive.",
        "Data Engineer (m/w/d) at ACME GmbH, written by remotive.",
    ]


def test_file_jobs_get_the_databases_own_dedupe_key(conn: Connection) -> None:
    keys = dedupe_keys(
        conn,
        ["ACME GmbH", "Acme", "Acme", ""],
        ["Data Engineer (m/w/d)", "data engineer", "Nurse", "Nurse"],
    )
    assert keys[0] == keys[1] != keys[2]
    assert keys[3] == ""  # no company: matches nothing


def test_a_down_vote_wins_over_a_save_and_users_without_a_cv_are_left_out(
    conn: Connection,
) -> None:
    upsert_jobs(
        conn,
        [_job("test", str(n), f"Job {n}", f"Company {n}", "Berlin") for n in range(3)],
    )
    ids = [int(str(r[0])) for r in conn.execute("SELECT id FROM jobs ORDER BY source_id")]
    ada, bo = create_user(conn, "ada@example.com"), create_user(conn, "bo@example.com")
    assert ada is not None
    assert bo is not None
    replace_active_cv(conn, ada.id, "Data engineer.")
    save_job(conn, ada.id, ids[0])
    save_job(conn, ada.id, ids[1])
    record_feedback(conn, ada.id, ids[1], "down", "")
    record_feedback(conn, ada.id, ids[2], "up", "")
    save_job(conn, bo.id, ids[0])  # bo has no CV
    signals = user_signals(conn)
    assert [(s.user_id, s.job.id, s.liked) for s in signals] == [
        (ada.id, ids[0], True),
        (ada.id, ids[1], False),
        (ada.id, ids[2], True),
    ]
    assert {s.cv_body for s in signals} == {"Data engineer."}
