"""Entry point of the `jobmatch` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import psycopg

from schema.errors import DatabaseError
from server.cli import (
    check_closed,
    cleanup,
    cv,
    demo,
    digest,
    embed,
    import_jobs,
    migrate,
    models,
    recommend,
    reposts,
    scrape,
    serve,
    status,
    tune,
    up,
    users,
    worker,
)
from server.cli import eval as eval_command
from server.cli.common import CliError, err_console
from workers.settings import Settings, SettingsError

# In the order `jobmatch --help` lists them.
COMMANDS = (
    up,
    serve,
    worker,
    migrate,
    status,
    scrape,
    import_jobs,
    embed,
    reposts,
    recommend,
    cleanup,
    digest,
    check_closed,
    users,
    cv,
    demo,
    models,
    eval_command,
    tune,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobmatch", description="Local-first job recommender (see README.md)."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; problems a person can fix print one line and exit 2."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        code: int = args.handler(args, settings)
    except (CliError, DatabaseError, SettingsError) as error:
        err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        return 2
    except psycopg.Error as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        err_console.print(f"[bold red]database error:[/] {first_line}", highlight=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
