"""The Huey tasks: the nightly schedule, the admin triggers and the per-CV follow-up.

`create_tasks` registers them on a queue made from settings when a door starts, and
returns them typed: calling one enqueues it (runs it, with an immediate queue), and
mypy checks its arguments. Every task takes ids (never payloads), runs one use case of
`workers.pipelines` under its lock and run log (`logged_run`), and is retried after
`RETRY_DELAY_S` when the failure is transient (the database unreachable or a
connection dropped); other errors are recorded and not retried. The daily generation
fans out into shards (`user_id % shards`), one task each, so consumers on several hosts
share it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, cast

import psycopg
from huey import Huey
from huey.exceptions import CancelExecution

from schema.database import connection
from schema.errors import DatabaseError
from schema.queries.generation_reads import count_users_to_recommend
from schema.queries.models import active_model
from workers.pipelines.cleanup import CLEANUP_PARTS, cleanup
from workers.pipelines.embed import embed_pending
from workers.pipelines.new_cv import process_new_cv
from workers.pipelines.recommend import generate, generate_for_user
from workers.pipelines.runs import AlreadyRunningError, Counts, TaskName, logged_run
from workers.pipelines.serving import Embedders
from workers.queue import create_huey
from workers.schedule import at
from workers.settings import Settings

RETRIES = 3
RETRY_DELAY_S = 60
SHARD_USERS = 2000  # users per generation shard: about a second of scoring each
TRANSIENT = (psycopg.OperationalError, DatabaseError)

P = ParamSpec("P")
Task = Callable[P, object]


@dataclass(frozen=True)
class Tasks:
    """The queue and its tasks; calling a task enqueues it."""

    huey: Huey
    process_new_cv: Callable[[int], object]
    generate_user_recommendations: Callable[[int], object]
    generate_recommendation_shard: Callable[[int, int], object]
    generate_all_recommendations: Callable[[], object]
    scrape_and_embed: Callable[[], object]
    embed_all: Callable[[], object]
    cleanup_all: Callable[[], object]
    cleanup_saved_jobs: Callable[[], object]
    cleanup_recommendations: Callable[[], object]
    cleanup_jobs: Callable[[], object]


def create_tasks(
    settings: Settings, database_url: str, *, embedders: Embedders | None = None
) -> Tasks:
    """A queue from `settings` on `database_url`, with every task registered on it."""
    huey = create_huey(settings, database_url)
    embedders = embedders or Embedders(settings.model, settings.home / "models")
    return _Registrar(huey, settings, database_url, embedders).tasks()


def run_guarded(url: str, task: TaskName, lock: str | None, work: Callable[[Counts], None]) -> None:
    """Run `work(counts)` under `logged_run`, translated for Huey: a held lock is a
    recorded skip; a transient error propagates (Huey retries it); any other error is
    recorded and cancels the retries."""
    try:
        with logged_run(url, task, lock) as counts:
            work(counts)
    except AlreadyRunningError:
        return
    except TRANSIENT:
        raise
    except Exception as error:
        raise CancelExecution(retry=False) from error


class _Registrar:
    """Registers each task on one Huey instance, bound to this door's settings."""

    def __init__(self, huey: Huey, settings: Settings, url: str, embedders: Embedders) -> None:
        self.huey, self.settings, self.url, self.embedders = huey, settings, url, embedders

    def task(self, name: TaskName, fn: Callable[P, None]) -> Task[P]:
        """`fn` registered as the task `name` (the name queued messages carry)."""
        decorate = self.huey.task(retries=RETRIES, retry_delay=RETRY_DELAY_S, name=name.value)
        return cast(Task[P], decorate(fn))

    def periodic(self, name: TaskName, fn: Callable[[], None]) -> Task[[]]:
        """`fn` registered as the task `name`, also run at its time of the schedule."""
        decorate = self.huey.periodic_task(
            at(self.settings.schedule, name),
            retries=RETRIES,
            retry_delay=RETRY_DELAY_S,
            name=name.value,
        )
        return cast(Task[[]], decorate(fn))

    def guarded(self, task: TaskName, work: Callable[[Counts], None], lock: str = "") -> None:
        run_guarded(self.url, task, lock or None, work)

    def tasks(self) -> Tasks:
        generation = self._generation_tasks()
        return Tasks(
            huey=self.huey,
            **generation,
            scrape_and_embed=self.periodic(TaskName.SCRAPE_AND_EMBED, self._scrape_and_embed),
            embed_all=self.task(TaskName.EMBED_ALL, self._embed_all),
            **self._cleanup_tasks(),
        )

    def _generation_tasks(self) -> dict[str, Any]:
        url, embedders = self.url, self.embedders

        def process_new_cv_task(cv_id: int) -> None:
            def work(counts: Counts) -> None:
                embedder, options = embedders.serving(url)
                counts.update(process_new_cv(url, embedder, options, cv_id).counts())

            self.guarded(TaskName.PROCESS_NEW_CV, work, f"cv-{cv_id}")

        def user_task(user_id: int) -> None:
            def work(counts: Counts) -> None:
                counts["user_id"] = user_id
                counts.update(generate_for_user(url, user_id).counts())

            self.guarded(TaskName.GENERATE_USER, work, f"user-{user_id}")

        def shard_task(shard: int, shards: int) -> None:
            def work(counts: Counts) -> None:
                counts.update(shard=shard, shards=shards)
                counts.update(generate(url, shard=shard, shards=shards).counts())

            self.guarded(TaskName.GENERATE_SHARD, work, f"shard-{shard}-of-{shards}")

        shard = self.task(TaskName.GENERATE_SHARD, shard_task)

        def generate_all() -> None:
            self.guarded(TaskName.GENERATE_ALL, lambda c: _fan_out(url, shard, c), "generate_all")

        return {
            "process_new_cv": self.task(TaskName.PROCESS_NEW_CV, process_new_cv_task),
            "generate_user_recommendations": self.task(TaskName.GENERATE_USER, user_task),
            "generate_recommendation_shard": shard,
            "generate_all_recommendations": self.periodic(TaskName.GENERATE_ALL, generate_all),
        }

    def _scrape_and_embed(self) -> None:
        from workers.pipelines.ingest import scrape  # HTTP clients: only in the worker

        def work(counts: Counts) -> None:
            days = self.settings.scrape_days
            counts["sources"] = _as_counts(scrape(self.url, self.settings, days=days))
            self._embed(counts)

        self.guarded(TaskName.SCRAPE_AND_EMBED, work)

    def _embed_all(self) -> None:
        self.guarded(TaskName.EMBED_ALL, self._embed, "embed")

    def _embed(self, counts: Counts) -> None:
        embedder, options = self.embedders.serving(self.url)
        summary = embed_pending(self.url, embedder, text_options=options)
        counts["embedded"] = summary.as_counts()

    def _cleanup_tasks(self) -> dict[str, Any]:
        made: dict[str, Any] = {}
        for name, parts in CLEANUP_PARTS.items():

            def run(name: TaskName = name, parts: tuple[str, ...] = parts) -> None:
                self.guarded(
                    name, lambda counts: counts.update(cleanup(self.url, parts=parts).counts())
                )

            scheduled = name is not TaskName.CLEANUP_ALL
            made[name.value] = self.periodic(name, run) if scheduled else self.task(name, run)
        return made


def _fan_out(url: str, shard_task: Callable[[int, int], object], counts: Counts) -> None:
    """Queue one shard task per `SHARD_USERS` users with an embedded CV."""
    with connection(url) as conn:
        model = active_model(conn)
        users = count_users_to_recommend(conn, model.id) if model else 0
    shards = max(1, math.ceil(users / SHARD_USERS))
    counts.update(users=users, shards=shards)
    if model is None:
        counts["skipped"] = "no active embedding model"
        return
    for shard in range(shards):
        shard_task(shard, shards)


def _as_counts(value: Any) -> object:
    """A pipeline's summary as JSON-able counts (its own `as_counts()` when it has one)."""
    if hasattr(value, "as_counts"):
        return value.as_counts()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_as_counts(item) for item in value]
    return value
