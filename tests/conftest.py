"""Fixtures: a real PostgreSQL with pgvector for the whole run, a fresh database per test.

The server is `DATABASE_URL` when set, else an embedded one started here in a temporary
folder. Each test gets its own database cloned from a migrated template, so tests never
see each other's rows and a clone costs milliseconds.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schema.database import connect, scratch_server
from schema.migrate import migrate

TEMPLATE = "jobmatch_test_template"
_counter = itertools.count()


def _with_dbname(url: str, dbname: str) -> str:
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo("", **params)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """URL of a server where tests may create databases."""
    with scratch_server("jobmatch-test-") as url:
        yield url


@pytest.fixture(scope="session")
def template_url(server_url: str) -> str:
    """A database with every migration applied, cloned by `db_url`."""
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {TEMPLATE}")
    url = _with_dbname(server_url, TEMPLATE)
    migrate(url)
    return url


@pytest.fixture
def db_url(server_url: str, template_url: str) -> Iterator[str]:
    """URL of a fresh, migrated, empty database for one test."""
    name = f"jobmatch_test_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield _with_dbname(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def empty_db_url(server_url: str) -> Iterator[str]:
    """URL of a fresh database with no migrations applied."""
    name = f"jobmatch_empty_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield _with_dbname(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """An autocommit connection to the test's database, pgvector types registered."""
    connection = connect(db_url)
    connection.autocommit = True
    yield connection
    connection.close()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The environment `jobmatch` commands run in within a test: this test's database, a
    home folder of its own, no model or queue from the caller's shell, and a terminal
    wide enough that rich does not wrap its tables. Returns the database URL."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("JOBMATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("JOBMATCH_MODEL", raising=False)
    monkeypatch.delenv("JOBMATCH_QUEUE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return db_url
