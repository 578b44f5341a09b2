"""`jobmatch users add EMAIL` and `jobmatch cv add EMAIL FILE`: drive the product without
the API — a user, their token, their CV embedded and their first list."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

from schema.database import connection
from schema.queries.cvs import replace_active_cv
from schema.queries.users import create_user, issue_token
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from server.cli.recommend import find_user
from workers.pipelines.recommend import generate_for_user
from workers.settings import Settings

CV_SUFFIXES = (".txt", ".md")
MAX_CV_BYTES = 1_000_000


def register(subparsers: Subparsers) -> None:
    users = add_command(subparsers, "users", _needs_action, "manage users")
    users_actions = users.add_subparsers(dest="users_action", required=True, metavar="ACTION")
    add_user = add_command(users_actions, "add", run_users_add, "add a user; prints their token")
    add_user.add_argument("email")
    add_user.add_argument("--name", default="", help="display name")
    add_user.add_argument("--json", action="store_true", help="print JSON for scripts")
    cvs = add_command(subparsers, "cv", _needs_action, "manage CVs")
    cv_actions = cvs.add_subparsers(dest="cv_action", required=True, metavar="ACTION")
    add_cv = add_command(
        cv_actions, "add", run_cv_add, "make a .txt/.md file the user's CV, embed it, recommend"
    )
    add_cv.add_argument("email", help="the user's email (or id)")
    add_cv.add_argument("file", type=Path)


def _needs_action(args: argparse.Namespace, settings: Settings) -> int:
    raise CliError("name an action, e.g. `add`")


def run_users_add(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    with connection(url) as conn:
        user = create_user(conn, args.email, args.name)
        if user is None:
            raise CliError(f"a user with email {args.email!r} already exists")
        token = issue_token(conn, user.id)
    if args.json:
        print_json({"id": user.id, "email": user.email, "token": token})
    else:
        console.print(f"user {user.id} <{user.email}> added")
        console.print(f"token (shown once, keep it): {token}", highlight=False, soft_wrap=True)
    return 0


def read_cv(path: Path) -> str:
    """The text of a .txt or .md CV; `CliError` for anything else, empty or unreadable."""
    if path.suffix.lower() not in CV_SUFFIXES:
        raise CliError(
            f"{path.name}: only .txt and .md CVs here; upload PDF or Word files through the API"
        )
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or error}") from error
    if len(raw) > MAX_CV_BYTES:
        raise CliError(f"{path.name} is {len(raw):,} bytes; a CV is at most {MAX_CV_BYTES:,}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CliError(f"{path.name} is not UTF-8 text ({error.reason})") from error
    if not text.strip():
        raise CliError(f"{path.name} is empty")
    return text


def run_cv_add(args: argparse.Namespace, settings: Settings) -> int:
    body = read_cv(args.file)
    url = database_url(settings)
    user = find_user(url, args.email)
    with connection(url) as conn:
        cv = replace_active_cv(conn, user.id, body, filename=args.file.name)
    console.print(f"CV {cv.id} stored as the active CV of {user.email}")
    embed = _module("workers.pipelines.embed")
    serving = embed.serving_model(url, settings.model)
    with console.status(f"embedding with {serving.name}…", spinner="dots"):
        embedder = _module("embeddings.loader").load_embedder(
            serving.name, cache_dir=settings.home / "models"
        )
        embed.embed_cv(url, embedder, cv.id, text_options=serving.options)
    summary = generate_for_user(url, user.id)
    if summary.skipped:
        console.print(f"no recommendations yet: {summary.skipped}")
    else:
        console.print(
            f"{summary.recommendations} recommendations from {summary.candidate_jobs:,} "
            f"candidate jobs; see them with `jobmatch recommend --user {user.email}`"
        )
    return 0


def _module(name: str) -> Any:
    """The embedding modules load torch: imported only by the command that needs them."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        raise CliError(f"this installation lacks {name} ({error}); reinstall jobmatch") from error
