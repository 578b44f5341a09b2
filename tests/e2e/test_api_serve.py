"""`jobmatch serve` as an operator starts it: a real uvicorn process on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.serving import ROOT, free_port


def test_serve_answers_health_and_registration(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "JOBMATCH_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli.main", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline and health is None:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
            except httpx.TransportError:
                time.sleep(0.3)
        assert health is not None, "the API did not answer within 60 s"
        assert health.json() == {"status": "ok", "database": "reachable"}
        created = httpx.post(f"{base}/users", json={"email": "ops@example.com"})
        assert created.status_code == 201
        me = httpx.get(
            f"{base}/users/me", headers={"Authorization": f"Bearer {created.json()['token']}"}
        )
        assert me.json()["email"] == "ops@example.com"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert b"Traceback" not in output


def test_serve_refuses_a_bad_port() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server.cli.main", "serve", "--port", "70000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--port" in result.stderr
