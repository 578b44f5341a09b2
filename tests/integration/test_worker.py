"""`jobmatch worker` as a real process: it consumes tasks queued in PostgreSQL by
another process, and stops cleanly on SIGINT and on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from workers.settings import Settings
from workers.tasks import Tasks, create_tasks

REPO = Path(__file__).resolve().parents[2]


class Worker:
    """A `jobmatch worker` subprocess whose output is collected line by line."""

    def __init__(self, db_url: str, home: Path) -> None:
        env = {**os.environ, "DATABASE_URL": db_url, "JOBMATCH_HOME": str(home)}
        env.pop("JOBMATCH_QUEUE_URL", None)
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli.main", "worker", "--workers", "1"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} from the worker:\n{''.join(self.lines)}")
            time.sleep(0.1)


@pytest.fixture
def tasks(db_url: str, tmp_path: Path) -> Iterator[Tasks]:
    """The tasks as the API queues them: into the test database's PostgreSQL queue."""
    made = create_tasks(Settings(home=tmp_path), db_url)
    yield made
    made.huey.storage.close()


@pytest.fixture
def worker(db_url: str, tmp_path: Path) -> Iterator[Worker]:
    process = Worker(db_url, tmp_path)
    yield process
    if process.process.poll() is None:
        process.process.kill()
    process.process.wait()
    process.reader.join(timeout=10)
    assert process.process.stdout is not None
    process.process.stdout.close()


def _run_status(db_url: str, task: str) -> str | None:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "SELECT status FROM task_runs WHERE task = %s ORDER BY id DESC LIMIT 1", (task,)
        ).fetchone()
    return str(row[0]) if row else None


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_worker_runs_queued_tasks_and_stops_cleanly(
    worker: Worker, tasks: Tasks, db_url: str, signum: signal.Signals
) -> None:
    worker.wait_for("worker: 1 thread(s), queue on postgres")
    worker.wait_for("schedule (UTC): cleanup_saved_jobs 00:00")
    assert not tasks.huey.immediate
    tasks.cleanup_all()  # queued in huey_task by this process, run by the worker
    deadline = time.monotonic() + 60
    while _run_status(db_url, "cleanup_all") != "succeeded":
        assert time.monotonic() < deadline, "".join(worker.lines)
        time.sleep(0.2)
    worker.process.send_signal(signum)
    assert worker.process.wait(timeout=30) == 0
    worker.wait_for("worker stopped", timeout=5)
