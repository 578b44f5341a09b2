"""`jobmatch up`: the database, migrations, a worker and the API in one command; the demo
data on a first start."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys

from schema.database import connection
from schema.queries.accounts import set_admin, set_password
from schema.queries.users import issue_token, user_by_email
from server.cli.common import (
    Subparsers,
    add_command,
    console,
    database_url,
    exit_cleanly_on_sigterm,
)
from server.cli.serve import add_address, check_address
from server.demo import DEMO_USERS, embed_and_recommend, is_empty, load_demo
from server.web.passwords import hash_password
from workers.pipelines.serving import Embedders
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    up = add_command(
        subparsers,
        "up",
        run_up,
        "database, migrations, worker and API in one command; demo data on first start",
    )
    add_address(up)
    up.add_argument("--no-worker", action="store_true", help="do not start `jobmatch worker`")


def run_up(args: argparse.Namespace, settings: Settings) -> int:
    """Start (or join) the database, migrate, load the demo on an empty database, start
    a worker, then serve the API in this process until interrupted."""
    import uvicorn

    from server.app import create_app
    from server.head_limit import UVICORN_OPTIONS

    check_address(args)
    exit_cleanly_on_sigterm()
    url = database_url(settings)
    demo_lines = _prepare_demo(url, settings)
    worker = None if args.no_worker else _start_worker(url)
    base = f"http://{args.host}:{args.port}"
    console.print(f"\n[bold]jobmatch is up:[/] {base}/  (API: {base}/api/v1, docs: {base}/schema)")
    for line in demo_lines:
        console.print(line, highlight=False, soft_wrap=True)
    try:
        app = create_app(settings, database_url=url)
        uvicorn.run(app, host=args.host, port=args.port, **UVICORN_OPTIONS)
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
    return 0


def _prepare_demo(url: str, settings: Settings) -> list[str]:
    """Demo data, vectors and lists on a first start; on any start, a fresh web password
    (the demo person is an admin) and API token for the first demo user."""
    if is_empty(url):
        console.print("empty database: loading the demo data")
        load_demo(url)
        embedders = Embedders(settings.model, settings.home / "models")
        embed_and_recommend(url, embedders, say=console.print)
    with connection(url) as conn:
        user = user_by_email(conn, DEMO_USERS[0][0])
        if user is None:
            return []
        # Only hashes are stored: a password or token can be shown only when it is made.
        password = secrets.token_urlsafe(9)
        set_password(conn, user.id, hash_password(password))
        set_admin(conn, user.id)
        token = issue_token(conn, user.id)
    return [
        f"demo login: {user.email}  password: {password}  (new at each start; an admin)",
        f"demo API token: {token}",
    ]


def _start_worker(url: str) -> subprocess.Popen[bytes]:
    """`jobmatch worker` as a child process on the same database."""
    env = {**os.environ, "DATABASE_URL": url}
    console.print("starting `jobmatch worker`")
    return subprocess.Popen([sys.executable, "-m", "server.cli.main", "worker"], env=env)
