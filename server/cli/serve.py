"""`jobmatch serve` (the API), `jobmatch up` (everything, one command) and `jobmatch demo`."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys

from schema.migrate import migrate
from server.cli.common import (
    CliError,
    Subparsers,
    add_command,
    console,
    database_url,
    exit_cleanly_on_sigterm,
)
from server.demo import DEMO_USERS, DemoLoad, embed_and_recommend, is_empty, load_demo
from workers.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def register(subparsers: Subparsers) -> None:
    serve = add_command(subparsers, "serve", run_serve, "run the HTTP API (uvicorn)")
    _add_address(serve)
    serve.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (default 1)"
    )
    up = add_command(
        subparsers,
        "up",
        run_up,
        "database, migrations, worker and API in one command; demo data on first start",
    )
    _add_address(up)
    up.add_argument("--no-worker", action="store_true", help="do not start `jobmatch worker`")
    add_command(subparsers, "demo", run_demo, "load the demo jobs, users and CVs")


def _add_address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")


def _check_address(args: argparse.Namespace) -> None:
    if not 0 < args.port < 65536:
        raise CliError(f"--port must be between 1 and 65535, got {args.port}")


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API; several workers share the database URL resolved here once."""
    import uvicorn

    _check_address(args)
    if args.workers < 1:
        raise CliError(f"--workers must be at least 1, got {args.workers}")
    exit_cleanly_on_sigterm()
    url = database_url(settings)
    # Worker processes read the environment: hand them the resolved (maybe embedded) URL.
    os.environ["DATABASE_URL"] = url
    console.print(f"API on http://{args.host}:{args.port}/api/v1 (OpenAPI at /schema)")
    uvicorn.run(
        "server.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
    )
    return 0


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Load the demo data and print the demo users' tokens."""
    url = database_url(settings)
    migrate(url)
    _print_demo(load_demo(url))
    console.print("run `jobmatch embed` and `jobmatch recommend` (or `jobmatch up`) to score them")
    return 0


def _print_demo(loaded: DemoLoad) -> None:
    console.print(
        f"demo data: {loaded.jobs_new} new job(s), {loaded.jobs_updated} refreshed, "
        f"{len(loaded.users)} users"
    )
    for user in loaded.users:
        console.print(f"  {user.email}  token: {user.token}", highlight=False, soft_wrap=True)


def run_up(args: argparse.Namespace, settings: Settings) -> int:
    """Start (or join) the database, migrate, load the demo on an empty database, start
    a worker, then serve the API in this process until interrupted."""
    import uvicorn

    from server.app import create_app

    _check_address(args)
    exit_cleanly_on_sigterm()
    url = database_url(settings)
    applied = migrate(url)
    if applied:
        console.print(f"applied {len(applied)} migration(s)")
    token_line = _prepare_demo(url, settings)
    worker = None if args.no_worker else _start_worker(url)
    base = f"http://{args.host}:{args.port}"
    console.print(f"\n[bold]jobmatch is up:[/] {base}/api/v1  (OpenAPI: {base}/schema)")
    if token_line:
        console.print(token_line, highlight=False, soft_wrap=True)
    try:
        uvicorn.run(create_app(settings, database_url=url), host=args.host, port=args.port)
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
    return 0


def _prepare_demo(url: str, settings: Settings) -> str | None:
    """Demo data, vectors and lists on a first start; a fresh demo token on any start."""
    if is_empty(url):
        console.print("empty database: loading the demo data")
        loaded = load_demo(url)
        try:
            embed_and_recommend(url, settings.model, say=console.print)
        except ImportError as error:
            console.print(f"[yellow]demo not scored yet:[/] {error}")
        user = loaded.users[0]
        return f"demo user {user.email}, token: {user.token}"
    from schema.database import connection
    from schema.queries.users import issue_token, user_by_email

    with connection(url) as conn:
        user_row = user_by_email(conn, DEMO_USERS[0][0])
        if user_row is None:
            return None
        return f"demo user {user_row.email}, new token: {issue_token(conn, user_row.id)}"


def _start_worker(url: str) -> subprocess.Popen[bytes] | None:
    """`jobmatch worker` as a child process on the same database."""
    if importlib.util.find_spec("server.cli.worker") is None:
        console.print("[yellow]no worker command in this build; tasks will wait in the queue")
        return None
    env = {**os.environ, "DATABASE_URL": url}
    console.print("starting `jobmatch worker`")
    return subprocess.Popen([sys.executable, "-m", "server.cli.main", "worker"], env=env)
