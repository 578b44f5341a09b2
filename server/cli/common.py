"""What every command shares: the console, JSON output and the database URL."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

from rich.console import Console

from schema.database import resolve_database_url
from workers.pipelines.database import ready_database_url
from workers.settings import Settings

console = Console()
err_console = Console(stderr=True)

Handler = Callable[[argparse.Namespace, Settings], int]


class Subparsers(Protocol):
    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


class CliError(RuntimeError):
    """A problem the person at the terminal can fix; printed as one line."""


def add_command(
    subparsers: Subparsers, name: str, handler: Handler, help_text: str
) -> argparse.ArgumentParser:
    """Register a sub-command whose `handler(args, settings)` returns the exit code."""
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=handler)
    return parser


def database_url(settings: Settings) -> str:
    """The configured database, ready for use: the embedded server is started and
    migrated; a `DATABASE_URL` server lacking migrations is a one-line error."""
    return ready_database_url(settings)


def located_database_url(settings: Settings) -> str:
    """The configured database as it is (for `migrate` and `status`), started if embedded."""
    return resolve_database_url(settings.database_url, settings.pgdata)


def print_json(payload: object) -> None:
    """Write `payload` as JSON to stdout (times and paths as strings)."""
    json.dump(payload, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def exit_cleanly_on_sigterm() -> None:
    """Make SIGTERM (`kill`, `docker stop`, systemd) end this process as Ctrl-C does.

    uvicorn shuts down gracefully on SIGTERM, then raises the signal again under the
    handler it found. Python's default handler would end the process on the spot, with
    no `finally` (which stops the worker `jobmatch up` started) and no exit hooks (which
    stop the embedded PostgreSQL this process started). Raising SystemExit unwinds.
    """
    signal.signal(signal.SIGTERM, _raise_system_exit)


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
