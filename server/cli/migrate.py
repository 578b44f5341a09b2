"""`jobmatch migrate`: apply the pending database migrations."""

from __future__ import annotations

import argparse

from schema.migrate import migrate
from server.cli.common import Subparsers, add_command, console, located_database_url
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    add_command(subparsers, "migrate", run_migrate, "apply pending database migrations")


def run_migrate(args: argparse.Namespace, settings: Settings) -> int:
    applied = migrate(located_database_url(settings))
    if applied:
        console.print(f"applied {len(applied)} migration(s): {', '.join(applied)}")
    else:
        console.print("database is up to date; nothing applied")
    return 0
