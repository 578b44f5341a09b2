"""`jobmatch models experiment start|stop|status` and `jobmatch models report`: live A/B."""

from __future__ import annotations

import argparse

from rich.table import Table

from embeddings.metrics import Estimate
from schema.database import connection
from schema.queries.experiments import Experiment, running_experiment, stop_experiment
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from workers.pipelines.experiments import RATES, ExperimentError, ExperimentReport, report, start
from workers.settings import Settings


def register_experiments(actions: Subparsers) -> None:
    """`experiment` (start, stop, status) and `report`, under `jobmatch models`."""
    experiment = actions.add_parser(
        "experiment", help="serve a share of users from a shadow model", description=__doc__
    )
    steps = experiment.add_subparsers(dest="step", required=True, metavar="STEP")
    begin = add_command(steps, "start", run_start, "serve a stable share of users from NAME")
    begin.add_argument("model", metavar="NAME")
    begin.add_argument("--share", type=float, default=0.2, help="share of users (default 0.2)")
    begin.add_argument("--days", type=float, default=14, help="how long (default 14)")
    begin.add_argument("--force", action="store_true", help="start even if its set is incomplete")
    add_command(steps, "stop", run_stop, "end the running experiment; everyone gets the active")
    status = add_command(steps, "status", run_status, "the running experiment, if any")
    status.add_argument("--json", action="store_true", help="print JSON for scripts")
    summary = add_command(
        actions, "report", run_report, "per model: save, apply, down-vote rates, mean rank"
    )
    summary.add_argument("--json", action="store_true", help="print JSON a page can draw")


def run_start(args: argparse.Namespace, settings: Settings) -> int:
    from server.cli.models import model_named

    url = database_url(settings)
    model = model_named(url, args.model)
    try:
        experiment = start(url, model, share=args.share, days=args.days, force=args.force)
    except ExperimentError as error:
        raise CliError(str(error)) from error
    console.print(
        f"experiment {experiment.id}: {experiment.share:.0%} of users get lists from "
        f"{experiment.model} until {experiment.ends_at:%Y-%m-%d %H:%M} UTC (the rest keep "
        f"{experiment.control_model}); their lists are made again on their next read, "
        "or by `jobmatch recommend`"
    )
    return 0


def run_stop(args: argparse.Namespace, settings: Settings) -> int:
    with connection(database_url(settings)) as conn:
        stopped = stop_experiment(conn)
    if stopped is None:
        raise CliError("no experiment is running")
    console.print(
        f"experiment {stopped.id} stopped: every user gets lists from the active model again; "
        "`jobmatch models report` compares the two"
    )
    return 0


def run_status(args: argparse.Namespace, settings: Settings) -> int:
    with connection(database_url(settings)) as conn:
        running = running_experiment(conn)
    if args.json:
        print_json(None if running is None else running.__dict__)
    elif running is None:
        console.print("no experiment is running")
    else:
        console.print(_describe(running))
    return 0


def _describe(experiment: Experiment) -> str:
    return (
        f"experiment {experiment.id}: {experiment.share:.0%} of users on {experiment.model}, "
        f"the rest on {experiment.control_model}; started {experiment.started_at:%Y-%m-%d %H:%M},"
        f" ends {experiment.ends_at:%Y-%m-%d %H:%M} UTC"
    )


def run_report(args: argparse.Namespace, settings: Settings) -> int:
    result = report(database_url(settings))
    if result is None:
        raise CliError("no experiment yet: `jobmatch models experiment start NAME` starts one")
    if args.json:
        print_json(result.as_json())
        return 0
    _print_report(result)
    return 0


def _print_report(result: ExperimentReport) -> None:
    """Figures as rows, the two models and their difference as columns: 80 columns."""
    state = "running" if result.running else "ended"
    x = result.experiment
    console.print(
        f"experiment {x.id} ({state}): {x.share:.0%} of users on {x.model} (shadow), the rest "
        f"on {x.control_model} (control)\n{x.started_at:%Y-%m-%d %H:%M} to "
        f"{x.stopped_at or x.ends_at:%Y-%m-%d %H:%M} UTC",
        highlight=False,
    )
    shadow, control = result.models
    difference = result.difference
    columns = ("95% intervals", "shadow", "control", "shadow − control")
    table = Table(*columns, box=None, pad_edge=False)
    table.add_row("users", str(shadow.users), str(control.users), "")
    labels = ("saved, top 10", "applied, top 10", "voted down")
    for name, label in zip(RATES, labels, strict=True):
        table.add_row(
            label,
            _share(getattr(shadow, name)),
            _share(getattr(control, name)),
            _points(difference[name]),
        )
    table.add_row(
        "mean rank acted",
        f"{_figure(shadow.mean_rank_acted)} n={shadow.acted_users}",
        f"{_figure(control.mean_rank_acted)} n={control.acted_users}",
        _figure(difference["mean_rank_acted"], signed=True),
    )
    console.print(table, highlight=False)
    console.print("a difference whose interval excludes 0 is one the data supports")


def _share(estimate: Estimate) -> str:
    return f"{estimate.mean:.1%} [{100 * estimate.low:.1f}, {100 * estimate.high:.1f}]"


def _points(estimate: Estimate) -> str:
    """A difference of rates, in percentage points."""
    low, mean, high = (100 * value for value in (estimate.low, estimate.mean, estimate.high))
    return f"{mean:+.1f} [{low:+.1f}, {high:+.1f}] pp"


def _figure(estimate: Estimate, *, signed: bool = False) -> str:
    sign = "+" if signed else ""
    return f"{estimate.mean:{sign}.1f} [{estimate.low:{sign}.1f}, {estimate.high:{sign}.1f}]"
