"""`scrape` end to end: every source against a replay server on 127.0.0.1, into Postgres."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from schema.database import connect
from schema.queries.runs import recent_runs
from tests.replay_server import Canned, ReplayServer, replay_server
from workers.pipelines.ingest import ADZUNA_MISSING, SourceSummary, scrape
from workers.settings import Settings
from workers.sources.http import HttpPolicy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
FAST = HttpPolicy(timeout=0.5, retries=1, backoff=0.01, max_wait=1.0, delay=0.0)
ALL = ("remoteok", "remotive", "arbeitnow", "adzuna", "themuse")
PATHS = {
    "remoteok": "/remoteok/api",
    "remotive": "/remotive/api/remote-jobs",
    "arbeitnow": "/arbeitnow/api/job-board-api",
    "adzuna": "/adzuna/v1/api/jobs",
    "themuse": "/themuse/api/public/jobs",
}
# Where each API keeps its items and their posting time.
DATES = {
    "remoteok.json": (None, "epoch"),
    "remotive.json": ("jobs", "publication_date"),
    "arbeitnow-page1.json": ("data", "created_at"),
    "arbeitnow-page2.json": ("data", "created_at"),
    "adzuna.json": ("results", "created"),
    "themuse.json": ("results", "publication_date"),
}


def fresh(filename: str, *, age: timedelta = timedelta(hours=3)) -> Any:
    """A fixture body with every posting time moved to `age` ago, in the API's own format."""
    body = json.loads((FIXTURES / filename).read_text(encoding="utf-8"))
    key, field = DATES[filename]
    items = body if key is None else body[key]
    when = datetime.now(UTC) - age
    for item in items:
        if isinstance(item, dict) and field in item and item[field] != "1970-01-01T00:00:00":
            if isinstance(item[field], int):
                item[field] = int(when.timestamp())
            elif field == "publication_date" and key == "jobs":  # Remotive: no zone
                item[field] = when.replace(tzinfo=None).isoformat(timespec="seconds")
            else:
                item[field] = when.isoformat(timespec="seconds").replace("+00:00", "Z")
    return body


def serve_fixtures(server: ReplayServer) -> dict[str, str]:
    server.add(PATHS["remoteok"], Canned.json(fresh("remoteok.json")))
    server.add(PATHS["remotive"], Canned.json(fresh("remotive.json")))
    server.add(
        PATHS["arbeitnow"],
        Canned.json(fresh("arbeitnow-page1.json")),
        Canned.json(fresh("arbeitnow-page2.json")),
    )
    server.add(PATHS["adzuna"] + "/gb/search/1", Canned.json(fresh("adzuna.json")))
    server.add(PATHS["themuse"], Canned.json(fresh("themuse.json")))
    return {name: server.url(path) for name, path in PATHS.items()}


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with replay_server() as running:
        yield running


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, adzuna_app_id="test-id", adzuna_app_key="test-key")


def by_source(summaries: list[SourceSummary]) -> dict[str, SourceSummary]:
    return {s.source: s for s in summaries}


def job_count(url: str, source: str | None = None) -> int:
    with connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM jobs WHERE %(source)s::text IS NULL OR source = %(source)s",
            {"source": source},
        ).fetchone()
    assert row is not None
    return int(str(row[0]))


def test_every_source_lands_with_counts_and_runs(
    db_url: str, settings: Settings, server: ReplayServer
) -> None:
    urls = serve_fixtures(server)
    summaries = by_source(scrape(db_url, settings, sources=ALL, base_urls=urls, policy=FAST))
    assert {s.status for s in summaries.values()} == {"succeeded"}
    assert (summaries["remoteok"].fetched, summaries["remoteok"].new) == (4, 2)
    assert summaries["remoteok"].failed == {
        "description is empty or only markup": 1,
        "position is empty": 1,
    }
    # Remotive's Acme job is RemoteOK's Acme job: it collapses into it.
    assert (summaries["remotive"].new, summaries["remotive"].duplicates) == (1, 1)
    assert summaries["remotive"].outside_window == 0
    assert summaries["arbeitnow"].new == 2  # one from each page
    assert summaries["adzuna"].new == 2
    assert summaries["themuse"].new == 2
    assert job_count(db_url) == 9
    [adzuna_call] = server.hits(PATHS["adzuna"] + "/gb/search/1")
    assert adzuna_call.query["app_id"] == ["test-id"]
    with connect(db_url) as conn:
        runs = {run.task: run for run in recent_runs(conn)}
    assert {f"scrape:{name}" for name in ALL} <= set(runs)
    assert runs["scrape:remoteok"].status == "succeeded"
    assert runs["scrape:remoteok"].counts["new"] == 2

    again = by_source(scrape(db_url, settings, sources=ALL, base_urls=urls, policy=FAST))
    assert again["remoteok"].unchanged == 2
    assert again["remotive"].new == 0
    assert job_count(db_url) == 9


def test_one_failing_source_never_stops_the_others(
    db_url: str, settings: Settings, server: ReplayServer
) -> None:
    urls = serve_fixtures(server)
    server.add(PATHS["remoteok"], Canned(500, b"<html>Internal Server Error</html>"))
    server.add(PATHS["remotive"], Canned(200, b'{"jobs": [{"id": 1, "title": "Trunc'))
    summaries = by_source(
        scrape(
            db_url,
            settings,
            sources=("remoteok", "remotive", "themuse"),
            base_urls=urls,
            policy=FAST,
        )
    )
    assert summaries["remoteok"].status == "failed"
    assert "HTTP 500" in (summaries["remoteok"].error or "")
    assert summaries["remotive"].status == "failed"
    assert "invalid or truncated JSON" in (summaries["remotive"].error or "")
    assert summaries["themuse"].status == "succeeded"
    assert job_count(db_url, "remoteok") == job_count(db_url, "remotive") == 0
    assert job_count(db_url, "themuse") == 2
    with connect(db_url) as conn:
        runs = {run.task: run for run in recent_runs(conn)}
    assert runs["scrape:remotive"].status == "failed"
    assert "truncated JSON" in (runs["scrape:remotive"].error or "")


def test_a_bad_later_page_writes_nothing_of_the_earlier_ones(
    db_url: str, settings: Settings, server: ReplayServer
) -> None:
    urls = serve_fixtures(server)
    server.add(
        PATHS["arbeitnow"], Canned.json(fresh("arbeitnow-page1.json")), Canned(200, b"not json")
    )
    [summary] = scrape(db_url, settings, sources=["arbeitnow"], base_urls=urls, policy=FAST)
    assert summary.status == "failed"
    assert job_count(db_url) == 0


def test_adzuna_without_keys_is_skipped_with_a_message(
    db_url: str, tmp_path: Path, server: ReplayServer
) -> None:
    urls = serve_fixtures(server)
    [summary] = scrape(db_url, Settings(home=tmp_path), sources=["adzuna"], base_urls=urls)
    assert (summary.status, summary.error) == ("skipped", ADZUNA_MISSING)
    assert server.requests == []
    with connect(db_url) as conn:
        [run] = recent_runs(conn)
    assert (run.task, run.status) == ("scrape:adzuna", "skipped")


def test_only_the_window_is_kept(db_url: str, settings: Settings, server: ReplayServer) -> None:
    urls = serve_fixtures(server)
    server.add(PATHS["themuse"], Canned.json(fresh("themuse.json", age=timedelta(days=4))))
    [summary] = scrape(db_url, settings, sources=["themuse"], base_urls=urls, policy=FAST)
    assert (summary.new, summary.outside_window) == (0, 2)
    [summary] = scrape(db_url, settings, sources=["themuse"], days=5, base_urls=urls, policy=FAST)
    assert (summary.new, summary.outside_window) == (2, 0)


def test_an_empty_list_and_a_429_are_fine(
    db_url: str, settings: Settings, server: ReplayServer
) -> None:
    urls = serve_fixtures(server)
    server.add(PATHS["remoteok"], Canned.json([{"legal": "terms"}]))
    server.add(
        PATHS["remotive"],
        Canned.json({"error": "too many"}, 429, **{"Retry-After": "0"}),
        Canned.json(fresh("remotive.json")),
    )
    summaries = by_source(
        scrape(db_url, settings, sources=("remoteok", "remotive"), base_urls=urls, policy=FAST)
    )
    assert (summaries["remoteok"].status, summaries["remoteok"].fetched) == ("succeeded", 0)
    assert (summaries["remotive"].status, summaries["remotive"].new) == ("succeeded", 2)
    assert len(server.hits(PATHS["remotive"])) == 2


def test_unknown_source_is_refused(db_url: str, settings: Settings) -> None:
    with pytest.raises(ValueError, match="unknown source 'monster'"):
        scrape(db_url, settings, sources=["monster"])


def test_a_database_error_fails_only_that_source(
    db_url: str, settings: Settings, server: ReplayServer
) -> None:
    urls = serve_fixtures(server)
    with psycopg.connect(db_url, autocommit=True) as admin:
        # A check the real schema does not have: Arbeitnow's "Berlin" job breaks it.
        admin.execute("ALTER TABLE jobs ADD CONSTRAINT no_berlin CHECK (location <> 'Berlin')")
    summaries = by_source(
        scrape(db_url, settings, sources=("arbeitnow", "themuse"), base_urls=urls, policy=FAST)
    )
    assert summaries["arbeitnow"].status == "failed"
    assert "CheckViolation" in (summaries["arbeitnow"].error or "")
    assert summaries["themuse"].status == "succeeded"
    assert job_count(db_url, "arbeitnow") == 0
