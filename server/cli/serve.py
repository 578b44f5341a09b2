"""`jobmatch serve`: the HTTP API alone (uvicorn)."""

from __future__ import annotations

import argparse
import os

from server.cli.common import (
    CliError,
    Subparsers,
    add_command,
    console,
    database_url,
    exit_cleanly_on_sigterm,
)
from workers.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def register(subparsers: Subparsers) -> None:
    serve = add_command(subparsers, "serve", run_serve, "run the HTTP API (uvicorn)")
    add_address(serve)
    serve.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (default 1)"
    )


def add_address(parser: argparse.ArgumentParser) -> None:
    """--host and --port."""
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")


def check_address(args: argparse.Namespace) -> None:
    """A port number that can be bound."""
    if not 0 < args.port < 65536:
        raise CliError(f"--port must be between 1 and 65535, got {args.port}")


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API; several workers share the database URL resolved here once."""
    import uvicorn

    from server.head_limit import UVICORN_OPTIONS

    check_address(args)
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
        **UVICORN_OPTIONS,
    )
    return 0
