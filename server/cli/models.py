"""`jobmatch models list|add|activate|remove|experiment|report`: model research."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from rich.table import Table

from embeddings.loader import ModelUnavailableError, canonical_name, disk_fingerprint
from embeddings.text import model_key, parse_model_key
from schema.database import connection
from schema.queries.model_sets import coverage, remove_model
from schema.queries.models import (
    EmbeddingModel,
    activate_model,
    active_model,
    list_models,
    model_by_name,
    stale_sets,
)
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
from server.cli.embed import add_text_options
from workers.settings import Settings


def register(subparsers: Subparsers) -> None:
    models = subparsers.add_parser(
        "models", help="list, add, activate or remove embedding models", description=__doc__
    )
    actions = models.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = add_command(actions, "list", run_list, "each model's dimension, coverage, state")
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    add = add_command(
        actions, "add", run_add, "register a model and embed everything into its shadow set"
    )
    add.add_argument("model", metavar="NAME_OR_PATH")
    add_text_options(add)
    activate = add_command(
        actions, "activate", run_activate, "serve users from this model and regenerate lists"
    )
    activate.add_argument("model", metavar="NAME")
    activate.add_argument(
        "--force", action="store_true", help="activate even when its set is incomplete"
    )
    remove = add_command(actions, "remove", run_remove, "drop a model's vectors (never the active)")
    remove.add_argument("model", metavar="NAME")
    remove.add_argument(
        "--stale", action="store_true", help="drop the sets its former weights made instead"
    )
    from server.cli.experiments import register_experiments

    register_experiments(actions)


def model_named(url: str, name: str) -> EmbeddingModel:
    """The current set of `name` (a folder by any path to it); a one-line error if none."""
    model_name, options = parse_model_key(name)
    with connection(url) as conn:
        model = model_by_name(conn, model_key(canonical_name(model_name), options))
    if model is None:
        raise CliError(f"no model named {name!r}; `jobmatch models list` shows the registered ones")
    return model


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    with connection(database_url(settings)) as conn:
        models, covered = list_models(conn), coverage(conn)
    rows = [{**asdict(m), **asdict(covered[m.id]), "state": _state(m)} for m in models]
    if args.json:
        print_json(rows)
        return 0
    table = Table("model", "dim", "state", "weights", "jobs embedded", "active CVs embedded")
    for model, row in zip(models, rows, strict=True):
        share = covered[model.id]
        table.add_row(
            model.name,
            str(model.dimension),
            str(row["state"]),
            (model.fingerprint or "unknown")[:12],
            f"{share.jobs_embedded}/{share.jobs_total}",
            f"{share.cvs_embedded}/{share.cvs_total}",
        )
    console.print(table if models else "no model registered yet: run `jobmatch embed`")
    if any(str(row["state"]).startswith("stale") for row in rows):
        console.print("stale: made by weights the model no longer has; `jobmatch embed` remakes it")
    return 0


def _state(model: EmbeddingModel) -> str:
    """active / shadow, or stale when its weights changed (seen by a load, or on disk)."""
    role = "active" if model.is_active else "shadow"
    if model.stale:
        return f"stale, {role}"
    name = parse_model_key(model.name)[0]
    if model.fingerprint is not None and Path(name).is_dir():
        try:
            changed = disk_fingerprint(name) != model.fingerprint
        except ModelUnavailableError:
            return f"{role}, weights unreadable"
        if changed:
            return f"stale, {role} (retrained on disk)"
    return role


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    """`jobmatch embed --model NAME`: a model that is not the first stays a shadow set.

    Tuning registers its output through this path's `embed_pending` (`register_model`)."""
    from server.cli.embed import run_embed

    url = database_url(settings)
    with connection(url) as conn:
        first = active_model(conn) is None
    if first:
        console.print(f"no model is active yet: {args.model} becomes the active model")
    embed_args = argparse.Namespace(
        model=args.model,
        backend=args.backend,
        template=args.template,
        long_text=args.long_text,
        force=getattr(args, "force", False),
        json=False,
    )
    code = run_embed(embed_args, settings)
    if not first:
        console.print("`jobmatch models list` shows coverage; `jobmatch models activate` switches")
    return code


def run_activate(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    model = model_named(url, args.model)
    with connection(url) as conn:
        share = coverage(conn)[model.id]
    if not share.complete and not args.force:
        raise CliError(
            f"{model.name} covers {share.jobs_embedded}/{share.jobs_total} jobs and "
            f"{share.cvs_embedded}/{share.cvs_total} active CVs; run `jobmatch models add "
            f"{model.name}` to complete its set first, or pass --force"
        )
    with connection(url) as conn:
        activate_model(conn, model.id)
    console.print(f"{model.name} is now the active model; regenerating recommendations")
    from server.cli.recommend import run_recommend

    return run_recommend(argparse.Namespace(user=None, strategy="exact", json=False), settings)


def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    if args.stale:
        return _remove_stale(url, args.model)
    model = model_named(url, args.model)
    with connection(url) as conn:
        removed = remove_model(conn, model.id)
    if not removed:
        raise CliError(f"{model.name} is the active model; activate another one first")
    console.print(f"removed {model.name} and its vectors")
    return 0


def _remove_stale(url: str, name: str) -> int:
    with connection(url) as conn:
        stale = stale_sets(conn, name)
        removed = sum(remove_model(conn, model.id) for model in stale)
    if not stale:
        raise CliError(f"{name!r} has no stale set; `jobmatch models list` shows each state")
    kept = (
        " (the active one stays until `jobmatch embed` replaces it)" if removed < len(stale) else ""
    )
    console.print(f"removed {removed} stale set(s) of {name}{kept}")
    return 0
