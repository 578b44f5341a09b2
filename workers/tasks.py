"""The Huey tasks: the nightly schedule, the admin triggers and the per-CV follow-up.

`create_tasks` registers them on a queue made from settings when a door starts, and
returns them typed: calling one enqueues it (runs it, with an immediate queue), and
mypy checks its arguments. Every task takes ids (never payloads), runs one use case of
`workers.pipelines` under its lock and run log (`logged_run`, which records the
arguments), and survives transient failures (`workers.retry`: it waits for the database
and runs again); other errors are recorded and not retried. Every minute, and when a
worker starts, `recover` closes runs whose process died as `interrupted` and queues
them again. The daily generation fans out into shards (`user_id % shards`), one task
each, so consumers on several hosts share it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, cast

from huey import Huey, crontab

from schema.database import connection
from schema.queries.generation_reads import count_users_to_recommend
from schema.queries.models import active_model
from workers.pipelines.cleanup import CLEANUP_PARTS, cleanup
from workers.pipelines.digest import DigestError, send_digests
from workers.pipelines.embed import embed_pending
from workers.pipelines.new_cv import process_new_cv
from workers.pipelines.recommend import generate, generate_for_user
from workers.pipelines.reposts import collapse_reposts
from workers.pipelines.runs import Counts, TaskName, resume_interrupted
from workers.pipelines.serving import Embedders
from workers.queue import create_huey
from workers.retry import DEFAULT_POLICY, RetryPolicy, run_guarded
from workers.schedule import at
from workers.settings import Settings

SHARD_USERS = 2000  # users per generation shard: about a second of scoring each
RECOVER = "recover_interrupted_runs"
log = logging.getLogger("jobmatch.tasks")
# The lock each manual trigger's task runs under: a trigger while it is held, or while
# an earlier trigger is still queued, joins that run.
TRIGGER_LOCKS = {
    TaskName.SCRAPE_AND_EMBED: TaskName.SCRAPE_AND_EMBED.value,
    TaskName.EMBED_ALL: "embed",
    TaskName.GENERATE_ALL: "generate_all",
    TaskName.CLEANUP_ALL: TaskName.CLEANUP_ALL.value,
}

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
    send_digests: Callable[[], object]
    check_closed: Callable[[], object]
    retry: RetryPolicy = DEFAULT_POLICY

    def enqueue(self, task: str, args: list[object]) -> bool:
        """Queue the task named `task` with `args` (recorded ids); False for a name
        this version does not know. Each `TaskName` is the name of its field here."""
        if task not in {name.value for name in TaskName}:
            return False
        getattr(self, task)(*(int(str(arg)) for arg in args))
        return True


def create_tasks(
    settings: Settings,
    database_url: str,
    *,
    embedders: Embedders | None = None,
    retry: RetryPolicy = DEFAULT_POLICY,
) -> Tasks:
    """A queue from `settings` on `database_url`, with every task registered on it."""
    huey = create_huey(settings, database_url)
    embedders = embedders or Embedders(settings.model, settings.home / "models")
    return _Registrar(huey, settings, database_url, embedders, retry).tasks()


def recover(tasks: Tasks, url: str) -> int:
    """Close runs whose process died as `interrupted` and queue them again (at most
    `retry.retries` interruptions of one task an hour); how many were queued."""
    return resume_interrupted(url, tasks.enqueue, tasks.retry.retries)


class _Registrar:
    """Registers each task on one Huey instance, bound to this door's settings."""

    def __init__(
        self, huey: Huey, settings: Settings, url: str, embedders: Embedders, retry: RetryPolicy
    ) -> None:
        self.huey, self.settings, self.url, self.embedders = huey, settings, url, embedders
        self.retry = retry

    # No Huey retries: they are queued in the storage that an outage takes down; the
    # tasks retry themselves (workers.retry).
    def task(self, name: TaskName, fn: Callable[P, None]) -> Task[P]:
        """`fn` registered as the task `name` (the name queued messages carry)."""
        return cast(Task[P], self.huey.task(name=name.value)(fn))

    def periodic(self, name: TaskName, fn: Callable[[], None]) -> Task[[]]:
        """`fn` registered as the task `name`, also run at its time of the schedule."""
        decorate = self.huey.periodic_task(at(self.settings.schedule, name), name=name.value)
        return cast(Task[[]], decorate(fn))

    def guarded(
        self, task: TaskName, work: Callable[[Counts], None], lock: str = "", *args: object
    ) -> None:
        run_guarded(self.url, task, lock or None, work, args=args, policy=self.retry)

    def tasks(self) -> Tasks:
        generation = self._generation_tasks()
        made = Tasks(
            huey=self.huey,
            **generation,
            scrape_and_embed=self.periodic(TaskName.SCRAPE_AND_EMBED, self._scrape_and_embed),
            embed_all=self.task(TaskName.EMBED_ALL, self._embed_all),
            **self._cleanup_tasks(),
            send_digests=self.periodic(TaskName.SEND_DIGESTS, self._send_digests),
            check_closed=self.periodic(TaskName.CHECK_CLOSED, self._check_closed),
            retry=self.retry,
        )
        # Every minute: runs whose worker died are closed and queued again.
        self.huey.periodic_task(crontab(), name=RECOVER)(lambda: recover(made, self.url))
        return made

    def _generation_tasks(self) -> dict[str, Any]:
        url, embedders = self.url, self.embedders

        def process_new_cv_task(cv_id: int) -> None:
            def work(counts: Counts) -> None:
                embedder, options = embedders.serving(url)
                shadow = embedders.experiment_shadow(url)
                also = [shadow] if shadow else []
                counts.update(process_new_cv(url, embedder, options, cv_id, also=also).counts())

            self.guarded(TaskName.PROCESS_NEW_CV, work, f"cv-{cv_id}", cv_id)

        def user_task(user_id: int) -> None:
            def work(counts: Counts) -> None:
                counts["user_id"] = user_id
                counts.update(generate_for_user(url, user_id).counts())

            self.guarded(TaskName.GENERATE_USER, work, f"user-{user_id}", user_id)

        def shard_task(shard: int, shards: int) -> None:
            def work(counts: Counts) -> None:
                counts.update(shard=shard, shards=shards)
                counts.update(generate(url, shard=shard, shards=shards).counts())

            self.guarded(TaskName.GENERATE_SHARD, work, f"shard-{shard}-of-{shards}", shard, shards)

        shard = self.task(TaskName.GENERATE_SHARD, shard_task)

        def generate_all() -> None:
            lock = TRIGGER_LOCKS[TaskName.GENERATE_ALL]
            self.guarded(TaskName.GENERATE_ALL, lambda c: _fan_out(url, shard, c), lock)

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

    def _check_closed(self) -> None:
        from workers.pipelines.check_closed import check_closed  # HTTP client: the worker's

        def work(counts: Counts) -> None:
            counts.update(check_closed(self.url, self.settings.posting_check).counts())

        self.guarded(TaskName.CHECK_CLOSED, work)

    def _embed_all(self) -> None:
        self.guarded(TaskName.EMBED_ALL, self._embed, TRIGGER_LOCKS[TaskName.EMBED_ALL])

    def _embed(self, counts: Counts) -> None:
        embedder, options = self.embedders.serving(self.url)
        summary = embed_pending(self.url, embedder, text_options=options)
        counts["embedded"] = summary.as_counts()
        shadow = self.embedders.experiment_shadow(self.url)
        if shadow is not None:  # its users' lists are made from it: keep it as current
            embedder, options = shadow
            summary = embed_pending(self.url, embedder, text_options=options)
            counts["embedded_shadow"] = summary.as_counts()
        # New vectors may be reposts of stored jobs: group them before lists are made.
        counts["reposts"] = collapse_reposts(self.url).counts()

    def _send_digests(self) -> None:
        self.guarded(
            TaskName.SEND_DIGESTS, lambda counts: digest_work(self.url, self.settings, counts)
        )

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


def digest_work(url: str, settings: Settings, counts: Counts) -> None:
    """Send the digests, their counts recorded; a failure (the server unusable, or some
    mails refused) fails the run with what was sent, and the next run retries the rest."""
    try:
        summary = send_digests(url, settings)
    except DigestError as error:
        if error.summary is not None:
            counts.update(error.summary.counts())
        raise
    counts.update(summary.counts())
    if summary.skipped:
        log.info("%s skipped: %s", TaskName.SEND_DIGESTS.value, summary.skipped)
    summary.raise_if_failed()


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
