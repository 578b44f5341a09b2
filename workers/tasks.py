"""The Huey tasks: the nightly schedule, the admin triggers and the per-CV follow-up.

Every task takes ids (never payloads), holds a lock so two runs of it never overlap
(`workers.queue.task_lock`), records itself in `task_runs` (start, end, status, counts,
error), and is retried after `RETRY_DELAY_S` when the failure is transient (the database
unreachable or a connection dropped); other errors are recorded and not retried.
The daily generation fans out into shards (`user_id % shards`), one task each, so
consumers on several hosts share it.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Callable
from typing import Any

import psycopg
from huey.exceptions import CancelExecution, TaskLockedException

from embeddings.model import Embedder
from embeddings.text import TextOptions
from schema.database import connection
from schema.errors import DatabaseError
from schema.queries.models import active_model
from schema.queries.recommendations import active_cv_owner, count_users_to_recommend
from schema.queries.runs import recorded_run
from workers.pipelines.cleanup import cleanup
from workers.pipelines.recommend import generate, generate_for_user
from workers.queue import database_url, huey, task_lock
from workers.schedule import at
from workers.settings import Settings

RETRIES = 3
RETRY_DELAY_S = 60
SHARD_USERS = 2000  # users per generation shard: ~1 s of scoring each at 20k jobs
TRANSIENT = (psycopg.OperationalError, DatabaseError)

Counts = dict[str, object]
_embedders: dict[str, Embedder] = {}  # "current" once chosen; a dict so no `global`


def use_embedder(embedder: Embedder | None) -> None:
    """Make the tasks of this process embed with `embedder` (None: the serving model,
    loaded on first use). Tests pass a fake."""
    if embedder is None:
        _embedders.pop("current", None)
    else:
        _embedders["current"] = embedder


def serving_embedder(url: str) -> tuple[Embedder, TextOptions]:
    """The embedder and text options of the active model (`JOBMATCH_MODEL` before any)."""
    settings = Settings.from_env()
    embed = _lazy("workers.pipelines.embed")
    choice = embed.serving_model(url, settings.model)
    if "current" in _embedders:
        return _embedders["current"], choice.options
    loader = _lazy("embeddings.loader")  # the model stack loads only when needed
    embedder = loader.load_embedder(choice.name, cache_dir=settings.home / "models")
    return embedder, choice.options


def _lazy(module: str) -> Any:
    """Import a pipeline module when a task first needs it (torch, HTTP clients)."""
    return importlib.import_module(module)


def _task() -> Callable[[Callable[..., None]], Any]:
    decorator: Callable[[Callable[..., None]], Any] = huey.task(
        retries=RETRIES, retry_delay=RETRY_DELAY_S
    )
    return decorator


def _periodic(task: str) -> Callable[[Callable[[], None]], Any]:
    decorator: Callable[[Callable[[], None]], Any] = huey.periodic_task(
        at(task), retries=RETRIES, retry_delay=RETRY_DELAY_S
    )
    return decorator


def guarded(task: str, lock: str, work: Callable[[str, Counts], None]) -> None:
    """Run `work(url, counts)` under the lock, recorded in `task_runs` as `task`.

    A held lock records a skipped run; a transient error propagates (Huey retries it);
    any other error is recorded and cancels the retries.
    """
    url = database_url()
    try:
        with recorded_run(url, task) as counts:
            try:
                with task_lock(url, lock):
                    work(url, counts)
            except TaskLockedException as locked:
                counts["skipped"] = str(locked)
    except TRANSIENT:
        raise
    except Exception as error:
        raise CancelExecution(retry=False) from error


def _as_counts(value: Any) -> object:
    """A pipeline's summary as JSON-able counts (its own `as_counts()` when it has one)."""
    if hasattr(value, "as_counts"):
        return value.as_counts()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_as_counts(item) for item in value]
    return value


# --- recommendations -----------------------------------------------------------------


@_periodic("generate_all_recommendations")
def generate_all_recommendations() -> None:
    """Fan the daily generation out: one shard task per `SHARD_USERS` users."""

    def work(url: str, counts: Counts) -> None:
        with connection(url) as conn:
            model = active_model(conn)
            users = count_users_to_recommend(conn, model.id) if model else 0
        shards = max(1, math.ceil(users / SHARD_USERS))
        counts.update(users=users, shards=shards)
        if model is None:
            counts["skipped"] = "no active embedding model"
            return
        for shard in range(shards):
            generate_recommendation_shard(shard, shards)

    guarded("generate_all_recommendations", "generate_all", work)


@_task()
def generate_recommendation_shard(shard: int, shards: int) -> None:
    """Replace the lists of the users with `user_id % shards == shard`."""

    def work(url: str, counts: Counts) -> None:
        counts.update(shard=shard, shards=shards)
        counts.update(generate(url, shard=shard, shards=shards).counts())

    guarded("generate_recommendation_shard", f"shard-{shard}-of-{shards}", work)


@_task()
def generate_user_recommendations(user_id: int) -> None:
    """Recompute one user's list (the manual trigger)."""

    def work(url: str, counts: Counts) -> None:
        counts["user_id"] = user_id
        counts.update(generate_for_user(url, user_id).counts())

    guarded("generate_user_recommendations", f"user-{user_id}", work)


@_task()
def process_new_cv(cv_id: int) -> None:
    """Embed a freshly uploaded CV, then recompute its owner's list."""

    def work(url: str, counts: Counts) -> None:
        counts["cv_id"] = cv_id
        embed = _lazy("workers.pipelines.embed")
        embedder, options = serving_embedder(url)
        counts["embedded"] = embed.embed_cv(url, embedder, cv_id, text_options=options)
        with connection(url) as conn:
            owner = active_cv_owner(conn, cv_id)
        if owner is None:
            counts["skipped"] = "the CV was replaced or deleted before it was processed"
            return
        counts["user_id"] = owner
        counts.update(generate_for_user(url, owner).counts())

    guarded("process_new_cv", f"cv-{cv_id}", work)


# --- scrape and embed ----------------------------------------------------------------


@_periodic("scrape_and_embed")
def scrape_and_embed() -> None:
    """Pull the configured sources (the last `scrape_days` days), then embed what is new."""

    def work(url: str, counts: Counts) -> None:
        settings = Settings.from_env()
        ingest = _lazy("workers.pipelines.ingest")
        counts["sources"] = _as_counts(ingest.scrape(url, settings, days=settings.scrape_days))
        embed = _lazy("workers.pipelines.embed")
        embedder, options = serving_embedder(url)
        counts["embedded"] = _as_counts(embed.embed_pending(url, embedder, text_options=options))

    guarded("scrape_and_embed", "scrape_and_embed", work)


@_task()
def embed_all() -> None:
    """Embed every job and CV that is new or changed under the configured model."""

    def work(url: str, counts: Counts) -> None:
        embed = _lazy("workers.pipelines.embed")
        embedder, options = serving_embedder(url)
        counts["embedded"] = _as_counts(embed.embed_pending(url, embedder, text_options=options))

    guarded("embed_all", "embed", work)


# --- cleanup -------------------------------------------------------------------------


def _cleanup_task(task: str, parts: tuple[str, ...]) -> None:
    def work(url: str, counts: Counts) -> None:
        counts.update(cleanup(url, parts=parts).counts())

    guarded(task, task, work)


@_periodic("cleanup_saved_jobs")
def cleanup_saved_jobs() -> None:
    """Delete saved jobs past their 10 days."""
    _cleanup_task("cleanup_saved_jobs", ("saved_jobs",))


@_periodic("cleanup_recommendations")
def cleanup_recommendations() -> None:
    """Delete recommendations past `expires_at`."""
    _cleanup_task("cleanup_recommendations", ("recommendations",))


@_periodic("cleanup_jobs")
def cleanup_jobs() -> None:
    """Delete jobs posted over 7 days ago, except those with an application."""
    _cleanup_task("cleanup_jobs", ("jobs",))


@_task()
def cleanup_all() -> None:
    """All three cleanups now (the admin trigger)."""
    _cleanup_task("cleanup_all", ("saved_jobs", "recommendations", "jobs"))
