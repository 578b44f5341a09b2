"""The CLI's side of web accounts: a password for an API-made user, the admin right."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from schema.database import connect
from schema.queries.accounts import account_by_email
from tests.web.helpers import sign_in, web_client


def jobmatch(*args: str, url: str, home: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli.main", *args],
        env={**os.environ, "DATABASE_URL": url, "JOBMATCH_HOME": str(home)},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_api_user_gets_a_password_and_the_admin_right(db_url: str, tmp_path: Path) -> None:
    added = jobmatch("users", "add", "ops@example.com", "--admin", url=db_url, home=tmp_path)
    assert added.returncode == 0, added.stderr
    short = jobmatch("users", "password", "ops@example.com", url=db_url, home=tmp_path, stdin="x\n")
    assert short.returncode == 2
    assert "at least 8" in short.stderr + short.stdout
    done = jobmatch(
        "users", "password", "ops@example.com", url=db_url, home=tmp_path, stdin="long enough pw\n"
    )
    assert done.returncode == 0, done.stderr
    with web_client(db_url, tmp_path) as client:
        assert sign_in(client, "ops@example.com", "long enough pw").status_code == 303
        assert client.get("/admin").status_code == 200
    revoked = jobmatch("users", "admin", "ops@example.com", "--revoke", url=db_url, home=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    with connect(db_url) as conn:
        account = account_by_email(conn, "ops@example.com")
    assert account is not None
    assert not account.is_admin
