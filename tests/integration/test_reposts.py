"""Reposts on a real PostgreSQL: two near-duplicate postings of one company are one job in
a user's list, in the job list and in search, the canonical one listing the other's
source (`also_at`); two different roles of that company stay two jobs.

The postings are shortened and reworded from a real pair of the saved responses (one
role posted twice under two titles, eval/reposts pair 26) and a different role of the
same company on the same template.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from embeddings.reposts import company_key
from schema.database import Connection
from schema.queries.reposts import current_duplicates, write_duplicates
from server.app import create_app
from server.cli.main import main
from tests.fakes import FakeEmbedder
from workers.pipelines.embed import embed_pending
from workers.pipelines.recommend import generate_for_user
from workers.pipelines.reposts import collapse_reposts
from workers.settings import Settings

API = "/api/v1"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "api-responses"

TEMPLATE = (
    "This is a remote role for candidates located in Campinas, Brazil. LawnStarter is an "
    "on-demand marketplace for lawn care and outdoor services on a single shared platform. "
)
PRODUCT = (
    "You build product features end to end in small initiative teams with a PM and a "
    "designer: Laravel and PHP services, React screens, experiments that move a metric, "
    "code review with peers, on-call for what you ship."
)
QUALITY = (
    "You own test strategy for the customer app and the Pro onboarding: automated end to "
    "end suites, regression plans, release checks, bug triage with engineers, and quality "
    "metrics for dynamic pricing."
)


def add_posting(
    conn: Connection,
    source: str,
    title: str,
    description: str,
    *,
    days_ago: float,
    company: str = "LawnStarter",
) -> int:
    """A job row as ingestion stores it, with the URL its board gives."""
    source_id = hashlib.md5(f"{source}{title}{days_ago}".encode()).hexdigest()[:12]
    row = conn.execute(
        "INSERT INTO jobs (source, source_id, title, company, location, description, url,"
        " posted_at, content_hash) VALUES (%(source)s, %(sid)s, %(title)s, %(company)s,"
        " 'Brazil', %(description)s, %(url)s, %(posted)s, %(hash)s) RETURNING id",
        {
            "source": source,
            "sid": source_id,
            "title": title,
            "company": company,
            "description": description,
            "url": f"https://{source}.example/jobs/{source_id}",
            "posted": datetime.now(UTC) - timedelta(days=days_ago),
            "hash": hashlib.sha256(f"{title}{description}".encode()).digest(),
        },
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    app = create_app(Settings(home=tmp_path), database_url=db_url, embedder=FakeEmbedder())
    with TestClient(app) as test_client:
        yield test_client


def test_near_duplicates_are_one_job_in_lists_and_search(
    db_url: str, conn: Connection, client: TestClient[Litestar]
) -> None:
    first = add_posting(
        conn, "remotive", "Staff Product Engineer (Campinas)", TEMPLATE + PRODUCT, days_ago=3
    )
    repost = add_posting(
        conn,
        "remoteok",
        "Staff Software Engineer, Product (Campinas)",
        TEMPLATE + PRODUCT.replace("You build", "As a Product Engineer you build"),
        days_ago=1,
    )
    quality = add_posting(
        conn, "remotive", "Staff Quality Engineer (Campinas)", TEMPLATE + QUALITY, days_ago=2
    )
    token = client.post(f"{API}/users", json={"email": "ana@example.com"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    cv = "Staff product engineer: Laravel, PHP and React, product experiments, Campinas"
    assert client.put(f"{API}/users/me/cv", headers=headers, json={"text": cv}).status_code < 300
    user_id = client.get(f"{API}/users/me", headers=headers).json()["id"]
    embed_pending(db_url, FakeEmbedder())
    generate_for_user(db_url, user_id)  # a list made before the repost was found

    summary = collapse_reposts(db_url)

    assert (summary.duplicates, summary.pairs_merged) == (1, 1)
    assert current_duplicates(conn) == {repost: first}
    also_at = [{"source": "remoteok", "url": _url(conn, repost)}]
    listed = _recommended(client, headers)
    assert repost not in listed
    assert {first, quality} <= set(listed)
    generate_for_user(db_url, user_id)
    listed = _recommended(client, headers)
    assert repost not in listed
    assert {first, quality} <= set(listed)
    items = client.get(f"{API}/jobs/recommendations", headers=headers).json()["items"]
    assert next(i["job"] for i in items if i["job"]["id"] == first)["also_at"] == also_at
    page = client.get(f"{API}/jobs", headers=headers).json()["items"]
    assert sorted(job["id"] for job in page) == sorted([first, quality])
    assert {job["id"]: job["also_at"] for job in page} == {first: also_at, quality: []}
    hits = client.get(f"{API}/jobs/search", headers=headers, params={"q": "product engineer"})
    found = [hit["job"]["id"] for hit in hits.json()["items"]]
    assert first in found
    assert repost not in found
    detail = client.get(f"{API}/jobs/{first}", headers=headers).json()
    assert detail["also_at"] == also_at
    assert detail["duplicate_of"] is None
    # The repost itself is still reachable by id (a saved job or application may name it),
    # and points at the job lists show.
    shown = client.get(f"{API}/jobs/{repost}", headers=headers)
    assert shown.status_code == 200
    assert shown.json()["duplicate_of"] == first


def test_a_lower_threshold_does_not_merge_different_roles(db_url: str, conn: Connection) -> None:
    """Same template, different roles: the titles disagree whatever the similarity."""
    add_posting(
        conn, "remotive", "Staff Product Engineer (Campinas)", TEMPLATE + PRODUCT, days_ago=2
    )
    add_posting(
        conn, "remotive", "Staff Quality Engineer (Campinas)", TEMPLATE + QUALITY, days_ago=1
    )
    add_posting(
        conn, "remotive", "Staff Product Engineer (Sao Paulo)", TEMPLATE + PRODUCT, days_ago=1
    )
    embed_pending(db_url, FakeEmbedder())
    summary = collapse_reposts(db_url, threshold=0.1)
    assert summary.pairs_considered == 3
    assert summary.duplicates == 0
    assert current_duplicates(conn) == {}


def test_a_run_replaces_the_grouping_and_a_deleted_canonical_job_frees_its_reposts(
    db_url: str, conn: Connection
) -> None:
    a = add_posting(conn, "remotive", "Data Engineer", PRODUCT, days_ago=3)
    b = add_posting(conn, "remoteok", "Data Engineer", PRODUCT, days_ago=2)
    c = add_posting(conn, "arbeitnow", "Data Engineer", PRODUCT, days_ago=1)
    assert write_duplicates(conn, {b: a, c: a}) == 2
    assert write_duplicates(conn, {c: a}) == 1  # b is freed
    assert current_duplicates(conn) == {c: a}
    conn.execute("DELETE FROM jobs WHERE id = %(id)s", {"id": a})
    assert current_duplicates(conn) == {}


def test_cli_reposts_counts_merges_and_refuses_a_bad_threshold(
    cli_env: str, conn: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reposts", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == "no active embedding model"
    first = add_posting(
        conn, "remotive", "Staff Product Engineer (Campinas)", TEMPLATE + PRODUCT, days_ago=2
    )
    repost = add_posting(
        conn, "remoteok", "Staff Product Engineer (Campinas)", TEMPLATE + PRODUCT, days_ago=1
    )
    embed_pending(cli_env, FakeEmbedder())
    assert main(["reposts", "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert (dry["duplicates"], dry["changed"], dry["dry_run"]) == (1, 1, True)
    assert current_duplicates(conn) == {}
    assert main(["reposts"]) == 0
    assert "1 merge(s)" in capsys.readouterr().out
    assert current_duplicates(conn) == {repost: first}
    assert main(["reposts", "--threshold", "1.5"]) == 2
    assert "--threshold must be" in capsys.readouterr().err


@pytest.mark.skipif(
    not SHARED.is_dir(), reason="the saved API responses (../shared/data) are absent"
)
def test_sql_and_python_company_keys_agree_on_real_company_names(conn: Connection) -> None:
    names = _real_company_names()
    rows = conn.execute(
        "SELECT name, jobmatch_company_key(name) FROM unnest(%(names)s::text[]) AS name",
        {"names": names},
    ).fetchall()
    assert len(rows) == len(names) > 100
    assert {str(name): company_key(str(name)) for name, _ in rows} == {
        str(name): str(key) for name, key in rows
    }


def _real_company_names() -> list[str]:
    muse = json.loads((SHARED / "themuse-results-mixed.json").read_text(encoding="utf-8"))
    arbeitnow = json.loads((SHARED / "arbeitnow-2026-05.json").read_text(encoding="utf-8"))
    remotive = json.loads((SHARED / "remotive-2026-07-18.json").read_text(encoding="utf-8"))
    names = {item["company"]["name"] for item in muse}
    names |= {item["company_name"] for item in arbeitnow["data"]}
    names |= {item["company_name"] for item in remotive["jobs"]}
    return sorted(names)


def _url(conn: Connection, job_id: int) -> str:
    row = conn.execute("SELECT url FROM jobs WHERE id = %(id)s", {"id": job_id}).fetchone()
    assert row is not None
    return str(row[0])


def _recommended(client: TestClient[Litestar], headers: dict[str, str]) -> list[int]:
    body = client.get(f"{API}/jobs/recommendations", headers=headers).json()
    assert body["status"] == "ready", body
    return [item["job"]["id"] for item in body["items"]]
