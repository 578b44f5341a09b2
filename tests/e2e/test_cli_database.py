"""`jobmatch migrate` and `jobmatch status` as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schema.migrate import available_migrations


def jobmatch(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli.main", *args],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_twice_then_status_lists_every_table(empty_db_url: str) -> None:
    first = jobmatch("migrate", database_url=empty_db_url)
    assert first.returncode == 0, first.stderr
    assert f"applied {len(available_migrations())} migration(s)" in first.stdout
    second = jobmatch("migrate", database_url=empty_db_url)
    assert second.returncode == 0, second.stderr
    assert "nothing applied" in second.stdout

    status = jobmatch("status", "--json", database_url=empty_db_url)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["reachable"] is True
    assert report["embedded"] is False
    assert report["migrations"]["pending"] == []
    tables = report["tables"]
    for table in ("users", "jobs", "cvs", "job_embeddings", "job_recommendations", "task_runs"):
        assert tables[table] == 0
    assert tables["schema_migrations"] == len(available_migrations())


def test_status_on_unmigrated_database_says_what_to_do(empty_db_url: str) -> None:
    result = jobmatch("status", database_url=empty_db_url)
    assert result.returncode == 2
    assert "jobmatch migrate" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("scrape", "--source", "remoteok"),
        ("import", "jobs.jsonl"),
        ("embed",),
        ("recommend",),
        ("cleanup",),
        ("users", "add", "a@example.com"),
        ("demo",),
        ("worker",),
        ("serve", "--port", "1"),
    ],
)
def test_every_door_meets_an_unmigrated_server_with_one_line(
    empty_db_url: str, command: tuple[str, ...]
) -> None:
    """A `DATABASE_URL` server is the operator's: nothing is migrated behind their back,
    and nothing runs against missing tables."""
    result = jobmatch(*command, database_url=empty_db_url)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "lacks" in lines[0]
    assert "run `jobmatch migrate`" in lines[0]
    assert "does not exist" not in result.stderr


def test_the_embedded_server_is_migrated_on_first_use(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "server.cli.main", "users", "add", "first@example.com"],
        env={**env, "JOBMATCH_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "user 1 <first@example.com> added" in result.stdout
