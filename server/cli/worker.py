"""`jobmatch worker`: the Huey consumer (queued tasks and the nightly schedule)."""

from __future__ import annotations

import argparse
import logging

from server.cli.common import CliError, Subparsers, add_command, console, database_url
from workers import schedule
from workers.settings import Settings
from workers.tasks import create_tasks, recover


def register(subparsers: Subparsers) -> None:
    worker = add_command(
        subparsers, "worker", run_worker, "run the task worker (queued tasks and the schedule)"
    )
    worker.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")
    worker.add_argument(
        "--no-periodic",
        action="store_true",
        help="do not run the nightly schedule here (another worker does)",
    )


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Consume until SIGINT (finish running tasks, then exit) or SIGTERM (exit now; a
    generation block in flight rolls back, every list stays complete)."""
    if args.workers < 1:
        raise CliError("--workers must be at least 1")
    if settings.queue_url == "immediate":
        raise CliError("JOBMATCH_QUEUE_URL=immediate runs tasks in the caller; unset it")
    url = database_url(settings)
    tasks = create_tasks(settings, url)
    huey = tasks.huey
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Runs a killed worker left behind are closed and queued again before consuming.
    resumed = recover(tasks, url)
    if resumed:
        console.print(f"worker: queued {resumed} interrupted run(s) again")
    times = ", ".join(
        f"{task} {hour:02d}:{minute:02d}"
        for task in schedule.PERIODIC
        for hour, minute in [schedule.time_of(settings.schedule, task)]
    )
    where = "redis" if settings.queue_url else "postgres"
    console.print(f"worker: {args.workers} thread(s), queue on {where}")
    if not args.no_periodic:
        console.print(f"schedule (UTC): {times}")
    consumer = huey.create_consumer(
        workers=args.workers, worker_type="thread", periodic=not args.no_periodic
    )
    consumer.run()
    # Its threads may still be waiting on the queue. When this process started the
    # embedded PostgreSQL, exiting stops that server under them: their last reads fail,
    # and a traceback for each would only alarm whoever stopped the worker.
    logging.getLogger("huey").setLevel(logging.CRITICAL)
    console.print("worker stopped")
    return 0
