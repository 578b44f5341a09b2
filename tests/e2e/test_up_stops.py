"""`jobmatch up` and `jobmatch worker` stopped by SIGTERM (`kill`, `docker stop`) take
everything they started down with them: the worker process and the embedded PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tests.serving import ROOT, free_port


def _jobmatch(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Output to a file, not a pipe: a child left running would hold a pipe open.
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "server.cli.main", *args],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _wait_for_health(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError(f"`jobmatch up` did not answer within 90 s: {log.read_text()}")


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.2)
    return False


def _embedded_home_with_demo(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment on an embedded server in `tmp_path` (whatever the suite's own
    database is) holding the demo data, so `up` skips its first-start embedding."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["JOBMATCH_HOME"] = str(tmp_path)
    log = tmp_path / "jobmatch.log"
    assert _jobmatch("demo", env=env, log=log).wait(timeout=120) == 0, log.read_text()
    return env, log


def _postmaster(tmp_path: Path) -> int:
    return int((tmp_path / "pg" / "postmaster.pid").read_text().split()[0])


def _stop_with_sigterm(process: subprocess.Popen[bytes], log: Path) -> str:
    """Send SIGTERM, as `kill` and `docker stop` do; the output, once it exited cleanly."""
    process.send_signal(signal.SIGTERM)
    returncode = process.wait(timeout=60)
    output = log.read_text()
    assert returncode == 0, output[-2000:]
    assert "Traceback" not in output
    return output


def test_sigterm_stops_the_worker_and_the_embedded_database(tmp_path: Path) -> None:
    env, log = _embedded_home_with_demo(tmp_path)
    port = free_port()
    up = _jobmatch("up", "--port", str(port), env=env, log=log)
    try:
        _wait_for_health(f"http://127.0.0.1:{port}/api/v1", up, log)
        postmaster = _postmaster(tmp_path)
        children = psutil.Process(up.pid).children()
        assert children, "`jobmatch up` started no worker"
        _stop_with_sigterm(up, log)
    finally:
        if up.poll() is None:
            up.kill()
    assert all(_gone(child.pid, 15) for child in children), "the worker outlived `jobmatch up`"
    assert _gone(postmaster, 15), "the embedded PostgreSQL outlived `jobmatch up`"
    assert not (tmp_path / "pg" / "postmaster.pid").exists()


def test_a_worker_on_its_own_stops_the_embedded_database_quietly(tmp_path: Path) -> None:
    env, log = _embedded_home_with_demo(tmp_path)
    worker = _jobmatch("worker", env=env, log=log)
    try:
        deadline = time.monotonic() + 90
        while "consumer started" not in log.read_text() and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()
            time.sleep(0.3)
        postmaster = _postmaster(tmp_path)
        # Its queue threads' last reads fail as the server stops: no traceback for those.
        output = _stop_with_sigterm(worker, log)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert "worker stopped" in output
    assert _gone(postmaster, 15), "the embedded PostgreSQL outlived `jobmatch worker`"
