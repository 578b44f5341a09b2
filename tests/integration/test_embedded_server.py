"""The embedded server is shared by several processes and outlives none of them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg

# A process that joins the embedded server, prints the postmaster's pid, then waits for
# a line on stdin before exiting (so the test controls when it lets go of the server).
_MEMBER = textwrap.dedent(
    """
    import sys
    import psycopg
    from schema.database import embedded_database_url
    url = embedded_database_url(__import__("pathlib").Path(sys.argv[1]))
    with psycopg.connect(url) as conn:
        pid = conn.execute("SELECT pg_postmaster_start_time()::text").fetchone()[0]
    print(pid, flush=True)
    sys.stdin.readline()
    """
)


def _start_member(pgdata: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", _MEMBER, str(pgdata)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def _release(process: subprocess.Popen[str]) -> None:
    process.communicate("\n", timeout=60)
    assert process.returncode == 0


def test_two_processes_share_one_server_until_the_last_leaves(tmp_path: Path) -> None:
    pgdata = tmp_path / "home" / "pg"
    first, first_started = _start_member(pgdata)
    second, second_started = _start_member(pgdata)
    assert first_started == second_started  # the second joined, it did not start another
    _release(first)
    postmaster = (pgdata / "postmaster.pid").read_text().splitlines()
    assert postmaster, "server still running for the second process"
    with psycopg.connect(f"postgresql://postgres@/postgres?host={postmaster[4]}") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    _release(second)
    assert not (pgdata / "postmaster.pid").exists()


def test_data_survives_a_restart(tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    script = textwrap.dedent(
        """
        import sys, pathlib, psycopg
        from schema.database import embedded_database_url
        url = embedded_database_url(pathlib.Path(sys.argv[1]))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS kept (n int)")
            conn.execute("INSERT INTO kept VALUES (1)")
            print(conn.execute("SELECT count(*) FROM kept").fetchone()[0])
        """
    )
    counts = [
        subprocess.run(
            [sys.executable, "-c", script, str(pgdata)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()
        for _ in range(2)
    ]
    assert counts == ["1", "2"]
