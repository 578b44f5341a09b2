"""Bad database settings give one clear line, a non-zero exit and change nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schema.database import connect
from schema.errors import DatabaseError
from schema.migrate import migrate


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli.main", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "DATABASE_URL is malformed"),
        ("postgresql://nobody@127.0.0.1:9/none", "cannot reach the database"),
    ],
)
@pytest.mark.parametrize("command", ["migrate", "status"])
def test_bad_database_url_prints_one_line_and_exits_2(
    url: str, expected: str, command: str, tmp_path: object
) -> None:
    result = run_cli(command, env={"DATABASE_URL": url, "JOBMATCH_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def _without_vector_extension(db_url: str) -> str:
    """The same server, but the session sees no extensions (PostgreSQL 18's search path)."""
    params = conninfo_to_dict(db_url)
    params["options"] = "-c extension_control_path=/nonexistent"
    return make_conninfo("", **params)


def test_server_without_vector_extension_is_refused_and_nothing_changes(
    empty_db_url: str,
) -> None:
    with psycopg.connect(empty_db_url) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
    assert version is not None
    if int(str(version[0])) < 180000:
        pytest.skip("hiding the vector extension needs PostgreSQL 18's extension_control_path")
    with pytest.raises(DatabaseError, match="no pgvector extension"):
        migrate(_without_vector_extension(empty_db_url))
    with psycopg.connect(empty_db_url) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename <> 'schema_migrations'"
        ).fetchall()
        applied = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
    assert tables == []
    assert applied == (0,)


def test_connect_without_vector_type_says_to_migrate(empty_db_url: str) -> None:
    with pytest.raises(DatabaseError, match="jobmatch migrate"):
        connect(empty_db_url)
