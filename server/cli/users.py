"""`jobmatch users add EMAIL`: a user and their API token, without the API."""

from __future__ import annotations

import argparse

from schema.database import connection
from schema.queries.accounts import set_admin, set_password
from schema.queries.users import User, create_user, issue_token, user_by_email, user_by_id
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    users = add_command(subparsers, "users", needs_action, "manage users")
    actions = users.add_subparsers(dest="users_action", required=True, metavar="ACTION")
    add_user = add_command(actions, "add", run_users_add, "add a user; prints their token")
    add_user.add_argument("email")
    add_user.add_argument("--name", default="", help="display name")
    add_user.add_argument("--admin", action="store_true", help="may open the web app's /admin")
    add_user.add_argument("--json", action="store_true", help="print JSON for scripts")
    password = add_command(
        actions, "password", run_users_password, "set a user's web password (read from stdin)"
    )
    password.add_argument("email_or_id")
    admin = add_command(actions, "admin", run_users_admin, "let a user open the web /admin page")
    admin.add_argument("email_or_id")
    admin.add_argument("--revoke", action="store_true", help="take the right away instead")


def needs_action(args: argparse.Namespace, settings: Settings) -> int:
    """A command group called without its action."""
    raise CliError("name an action, e.g. `add`")


def find_user(url: str, email_or_id: str) -> User:
    """The user named by an email or a numeric id; `CliError` when there is none."""
    with connection(url) as conn:
        key = email_or_id.strip()
        user = user_by_id(conn, int(key)) if key.isdigit() else user_by_email(conn, key)
    if user is None:
        raise CliError(f"no user {email_or_id!r}; add one with `jobmatch users add EMAIL`")
    return user


def run_users_add(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    with connection(url) as conn:
        user = create_user(conn, args.email, args.name)
        if user is None:
            raise CliError(f"a user with email {args.email!r} already exists")
        token = issue_token(conn, user.id)
        if args.admin:
            set_admin(conn, user.id)
    if args.json:
        print_json({"id": user.id, "email": user.email, "token": token})
    else:
        console.print(f"user {user.id} <{user.email}> added")
        console.print(f"token (shown once, keep it): {token}", highlight=False, soft_wrap=True)
    return 0


def run_users_admin(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    user = find_user(url, args.email_or_id)
    with connection(url) as conn:
        set_admin(conn, user.id, not args.revoke)
    verb = "may no longer" if args.revoke else "may now"
    console.print(f"user {user.id} <{user.email}> {verb} open /admin")
    return 0


def run_users_password(args: argparse.Namespace, settings: Settings) -> int:
    """A web password for a user made by the API or `users add` (they have none)."""
    import getpass
    import sys

    from server.web.passwords import hash_password, password_problem

    url = database_url(settings)
    user = find_user(url, args.email_or_id)
    if sys.stdin.isatty():
        password = getpass.getpass("new password: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    problem = password_problem(password)
    if problem is not None:
        raise CliError(problem)
    with connection(url) as conn:
        set_password(conn, user.id, hash_password(password))
    console.print(f"user {user.id} <{user.email}> may now sign in to the web app")
    return 0
