"""`jobmatch import FILE`: load jobs from a file of normalised jobs or a saved API response."""

from __future__ import annotations

import argparse
from pathlib import Path

from server.cli.common import CliError, Subparsers, add_command, database_url
from server.cli.scrape import positive_int, print_summaries
from workers.pipelines.ingest import import_file
from workers.pipelines.normalise import ImportFileError
from workers.settings import Settings
from workers.sources import SOURCE_CLASSES


def register(subparsers: Subparsers) -> None:
    import_parser = add_command(
        subparsers,
        "import",
        run_import,
        "load jobs from a file: JSONL/CSV of normalised jobs or a saved API response",
    )
    import_parser.add_argument("file", type=Path, help=".jsonl, .csv or a saved .json response")
    import_parser.add_argument(
        "--source",
        choices=sorted(SOURCE_CLASSES),
        help="the API a saved response came from (guessed when omitted), or the source "
        "of JSONL/CSV rows that name none",
    )
    import_parser.add_argument(
        "--days", type=positive_int, help="keep only jobs of the last N days (default: all)"
    )
    import_parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import one file and print its summary."""
    try:
        summary = import_file(database_url(settings), args.file, source=args.source, days=args.days)
    except ImportFileError as error:
        raise CliError(f"{error}; nothing was imported") from error
    print_summaries([summary], args.json)
    return 0
