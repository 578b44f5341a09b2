"""`jobmatch digest`: send the e-mail digests now (or, with --dry-run, say who would get what)."""

from __future__ import annotations

import argparse

from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from workers.pipelines.digest import (
    DigestError,
    DigestFailedError,
    DigestSummary,
    send_digests,
)
from workers.pipelines.runs import AlreadyRunningError, TaskName, logged_run
from workers.settings import Settings
from workers.tasks import digest_work


def register(subparsers: Subparsers) -> None:
    command = add_command(
        subparsers,
        "digest",
        run_digest,
        "send each opted-in person the new top matches since their last e-mail digest",
    )
    command.add_argument(
        "--dry-run", action="store_true", help="say who would get which jobs; send nothing"
    )
    command.add_argument("--json", action="store_true", help="print JSON for scripts")


def run_digest(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    if args.dry_run:
        summary = send_digests(url, settings, dry_run=True)
        _report(summary, args.json)
        return 0
    if settings.smtp is None:
        raise CliError("JOBMATCH_SMTP_URL is not set: this installation sends no e-mail")
    try:
        with (
            logged_run(url, TaskName.SEND_DIGESTS) as counts,
            console.status("sending digests…", spinner="dots"),
        ):
            digest_work(url, settings, counts)
    except AlreadyRunningError as error:
        raise CliError(f"{error} (a worker is sending them); try again later") from error
    except (DigestError, DigestFailedError) as error:
        raise CliError(str(error)) from error
    if args.json:
        print_json(counts)
    else:
        console.print(
            f"sent {counts['sent']} digest(s) with {counts['jobs_sent']} job(s); "
            f"{counts['nothing_new']} of {counts['recipients']} opted-in person(s) had nothing new"
        )
    return 0


def _report(summary: DigestSummary, as_json: bool) -> None:
    if as_json:
        print_json({**summary.counts(), "planned": summary.planned})
        return
    console.print(
        f"would send {len(summary.planned)} digest(s); {summary.nothing_new} of "
        f"{summary.recipients} opted-in person(s) have nothing new"
    )
    for user_id, job_ids in summary.planned.items():
        console.print(f"  user {user_id}: jobs {', '.join(map(str, job_ids))}")
