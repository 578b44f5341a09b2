"""`jobmatch cv add EMAIL FILE [--name NAME]`: a CV file (the upload's rules) made the
text of the user's active CV (or of their CV named NAME, added when they have none of
that name), embedded, and their lists built, in this process."""

from __future__ import annotations

import argparse
from pathlib import Path

import msgspec

from embeddings.loader import ModelUnavailableError
from schema.database import Connection, connection
from schema.queries.cvs import CV, current_cv, replace_active_cv
from schema.queries.named_cvs import (
    MAX_NAMED_CVS,
    NamedCvLimitError,
    NamedCvNameTakenError,
    add_named_cv,
    named_cv,
    named_cv_by_name,
)
from server.cli.common import CliError, Subparsers, add_command, console, database_url
from server.cli.users import find_user, needs_action
from server.schemas import CVRename
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
    add_cv.add_argument(
        "--name",
        help=f"which of the user's CVs (added when new; at most {MAX_NAMED_CVS});"
        " default: the active one",
    )


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
        cv = _store(conn, user.id, text, filename, args.name)
        named = named_cv(conn, user.id, cv.named_cv_id)
    which = f"the CV {named.name!r}" if named else "the active CV"
    console.print(f"CV {cv.id} stored as {which} of {user.email}")
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


def _store(conn: Connection, user_id: int, text: str, filename: str, name: str | None) -> CV:
    """The new text of the active CV, or of the CV `name` (added when new)."""
    if name is None:
        return replace_active_cv(conn, user_id, text, filename=filename)
    name = _valid_name(name)
    existing = named_cv_by_name(conn, user_id, name)
    if existing is not None:
        return replace_active_cv(conn, user_id, text, filename=filename, named_cv_id=existing.id)
    try:
        named_cv_id = add_named_cv(conn, user_id, name, text, filename)
    except NamedCvLimitError:
        raise CliError(
            f"the user already has {MAX_NAMED_CVS} CVs: name one of them with --name"
        ) from None
    except NamedCvNameTakenError:  # added by someone else meanwhile
        raise CliError(f"a CV named {name!r} was added meanwhile; run the command again") from None
    cv = current_cv(conn, named_cv_id)
    assert cv is not None  # made with its first version just now
    return cv


def _valid_name(name: str) -> str:
    try:
        return msgspec.convert({"name": name.strip()}, CVRename).name
    except msgspec.ValidationError:
        raise CliError("--name: 1 to 40 characters, without tabs or line breaks") from None


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
