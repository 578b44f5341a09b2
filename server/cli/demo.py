"""`jobmatch demo`: the demo jobs, users and CVs, loaded (and their tokens printed)."""

from __future__ import annotations

import argparse

from server.cli.common import Subparsers, add_command, console, database_url
from server.demo import DemoLoad, load_demo
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    add_command(subparsers, "demo", run_demo, "load the demo jobs, users and CVs")


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Load the demo data and print the demo users' tokens."""
    print_demo(load_demo(database_url(settings)))
    console.print("run `jobmatch embed` and `jobmatch recommend` (or `jobmatch up`) to score them")
    return 0


def print_demo(loaded: DemoLoad) -> None:
    """What the demo load stored, and each demo user's fresh token."""
    console.print(
        f"demo data: {loaded.jobs_new} new job(s), {loaded.jobs_updated} refreshed, "
        f"{len(loaded.users)} users"
    )
    for user in loaded.users:
        console.print(f"  {user.email}  token: {user.token}", highlight=False, soft_wrap=True)
