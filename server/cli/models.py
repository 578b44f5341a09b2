"""`jobmatch models list|add|activate|remove` and `jobmatch eval`: model research."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from rich.table import Table

from embeddings.backends import BACKENDS
from embeddings.text import LONG_TEXT_CHOICES, TEMPLATE_CHOICES
from schema.database import connection
from schema.queries.model_sets import coverage, remove_model
from schema.queries.models import EmbeddingModel, activate_model, list_models, model_by_name
from server.cli.common import CliError, Subparsers, add_command, console, database_url, print_json
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


def add_text_options(parser: argparse.ArgumentParser) -> None:
    """--backend, --template and --long-text, as `jobmatch embed` has them."""
    parser.add_argument("--backend", choices=("auto", *BACKENDS), default="auto")
    parser.add_argument("--template", choices=TEMPLATE_CHOICES, default="full")
    parser.add_argument("--long-text", choices=LONG_TEXT_CHOICES, default="truncate")


def _model(url: str, name: str) -> EmbeddingModel:
    with connection(url) as conn:
        model = model_by_name(conn, name)
    if model is None:
        raise CliError(f"no model named {name!r}; `jobmatch models list` shows the registered ones")
    return model


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    with connection(database_url(settings)) as conn:
        models, covered = list_models(conn), coverage(conn)
    rows = [{**asdict(m), **asdict(covered[m.id])} for m in models]
    if args.json:
        print_json(rows)
        return 0
    table = Table("model", "dim", "active", "jobs embedded", "active CVs embedded")
    for model in models:
        share = covered[model.id]
        table.add_row(
            model.name,
            str(model.dimension),
            "yes" if model.is_active else "",
            f"{share.jobs_embedded}/{share.jobs_total}",
            f"{share.cvs_embedded}/{share.cvs_total}",
        )
    console.print(table if models else "no model registered yet: run `jobmatch embed`")
    return 0


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    """`jobmatch embed --model NAME`: a model that is not the first stays a shadow set."""
    from server.cli.embed import run_embed

    embed_args = argparse.Namespace(
        model=args.model,
        backend=args.backend,
        template=args.template,
        long_text=args.long_text,
        json=False,
    )
    code = run_embed(embed_args, settings)
    console.print("`jobmatch models list` shows coverage; `jobmatch models activate` switches")
    return code


def run_activate(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    model = _model(url, args.model)
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
    model = _model(url, args.model)
    with connection(url) as conn:
        removed = remove_model(conn, model.id)
    if not removed:
        raise CliError(f"{model.name} is the active model; activate another one first")
    console.print(f"removed {model.name} and its vectors")
    return 0
