"""`jobmatch cv add EMAIL FILE`: a CV file (the upload's rules) made the user's active
CV, embedded, and their list built, in this process."""

from __future__ import annotations

import argparse
from pathlib import Path

from embeddings.loader import ModelUnavailableError
from schema.database import connection
from schema.queries.cvs import replace_active_cv
from server.cli.common import CliError, Subparsers, add_command, console, database_url
from server.cli.users import find_user, needs_action
from workers.pipelines.cv_files import CvFileError, read_cv_file
from workers.pipelines.new_cv import ProcessedCv, process_new_cv
from workers.pipelines.serving import Embedders
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    cvs = add_command(subparsers, "cv", needs_action, "manage CVs")
    actions = cvs.add_subparsers(dest="cv_action", required=True, metavar="ACTION")
    add_cv = add_command(
        actions, "add", run_cv_add, "make a CV file the user's CV, embed it, recommend"
    )
    add_cv.add_argument("email", help="the user's email (or id)")
    add_cv.add_argument("file", type=Path, help=".txt, .md, .pdf or .docx, at most 5 MB")


def read_cv(path: Path) -> tuple[str, str]:
    """The CV's text and file name; the upload's rules, each refusal as a `CliError`."""
    try:
        return read_cv_file(path)
    except CvFileError as error:
        raise CliError(f"{path.name}: {error.detail}") from error
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or error}") from error


def run_cv_add(args: argparse.Namespace, settings: Settings) -> int:
    text, filename = read_cv(args.file)
    url = database_url(settings)
    user = find_user(url, args.email)
    with connection(url) as conn:
        cv = replace_active_cv(conn, user.id, text, filename=filename)
    console.print(f"CV {cv.id} stored as the active CV of {user.email}")
    embedders = Embedders(settings.model, settings.home / "models")
    with console.status("embedding the CV and building the list…", spinner="dots"):
        try:
            embedder, options = embedders.serving(url)
            shadow = embedders.experiment_shadow(url)  # an experiment's model, kept current
        except ModelUnavailableError as error:
            raise CliError(str(error)) from error
        processed = process_new_cv(url, embedder, options, cv.id, also=[shadow] if shadow else [])
    _print_processed(processed, user.email)
    return 0


def _print_processed(processed: ProcessedCv, email: str) -> None:
    summary = processed.recommendations
    if summary is None or summary.skipped:
        reason = summary.skipped if summary else processed.skipped
        console.print(f"no recommendations yet: {reason}")
        return
    console.print(
        f"{summary.recommendations} recommendations from {summary.candidate_jobs:,} "
        f"candidate jobs; see them with `jobmatch recommend --user {email}`"
    )
