"""Live comparison of two models: which model makes each user's list, and the report.

A running experiment serves a stable share of users (`bucket` below, the same md5 as the
database's `jobmatch_experiment_bucket`) their lists from a shadow model; everyone else
keeps the active model. `serving_arms` is the one place the nightly and per-user
generations ask which model makes whose list. The report compares, per model, what the
users who saw its lists did with them, with 95% intervals (users are the unit: one
user's actions are not independent of each other, users are).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from embeddings.metrics import Estimate, bootstrap, mean_difference, rate_difference, wilson
from schema.database import Connection, connection
from schema.queries import experiments as q
from schema.queries.model_sets import coverage
from schema.queries.models import EmbeddingModel, active_model, list_models


class ExperimentError(ValueError):
    """An experiment cannot start as asked; the message says why and what to do."""


def bucket(experiment_id: int, user_id: int) -> float:
    """The user's stable place in [0, 1) for this experiment (in the share when below it)."""
    digest = hashlib.md5(f"{experiment_id}:{user_id}".encode(), usedforsecurity=False)
    return int(digest.hexdigest()[:8], 16) / 2**32


def serving_arms(
    conn: Connection, active: EmbeddingModel
) -> list[tuple[EmbeddingModel, q.Arm | None]]:
    """Which model makes whose list: the active model for everyone, or, while an
    experiment runs, the active model for the rest and its shadow model for its share."""
    running = q.running_experiment(conn)
    if running is None or running.model_id == active.id:
        return [(active, None)]
    shadow = next(m for m in list_models(conn) if m.id == running.model_id)
    return [
        (active, q.Arm(running.id, running.share, treated=False)),
        (shadow, q.Arm(running.id, running.share, treated=True)),
    ]


def start(
    url: str, model: EmbeddingModel, *, share: float, days: float, force: bool = False
) -> q.Experiment:
    """Serve `share` of users from `model` for `days`. Raises `ExperimentError` when the
    model is the active one, its set is incomplete (unless `force`), or one runs."""
    if not 0 < share < 1:
        raise ExperimentError(f"--share must be between 0 and 1 (exclusive), got {share}")
    if not 0 < days <= 365:
        raise ExperimentError(f"--days must be between 0 and 365, got {days}")
    with connection(url, autocommit=True) as conn:
        active = active_model(conn)
        if active is None:
            raise ExperimentError("no model is active yet: `jobmatch embed` makes the first one")
        if active.id == model.id:
            raise ExperimentError(f"{model.name} is the active model: compare a shadow model")
        share_covered = coverage(conn)[model.id]
        if not share_covered.complete and not force:
            raise ExperimentError(
                f"{model.name} covers {share_covered.jobs_embedded}/{share_covered.jobs_total}"
                f" jobs and {share_covered.cvs_embedded}/{share_covered.cvs_total} active CVs;"
                f" run `jobmatch models add {model.name}` first, or pass --force"
            )
        try:
            return q.start_experiment(
                conn, model_id=model.id, control_model_id=active.id, share=share, days=days
            )
        except q.ExperimentOpenError as error:
            raise ExperimentError(
                "an experiment is running; `jobmatch models experiment stop` ends it"
            ) from error


@dataclass(frozen=True)
class ModelOutcome:
    """What the users shown one model's lists did, each figure with its 95% interval."""

    model: str
    model_id: int
    role: str  # "shadow" (the experiment's model) or "control"
    users: int
    save_rate_top10: Estimate
    apply_rate_top10: Estimate
    down_vote_rate: Estimate
    mean_rank_acted: Estimate
    acted_users: int  # users whose mean rank is counted (they acted on a listed job)
    ranks: list[float] = field(default_factory=list, repr=False)  # per acting user


RATES = ("save_rate_top10", "apply_rate_top10", "down_vote_rate")


@dataclass(frozen=True)
class ExperimentReport:
    experiment: q.Experiment
    running: bool
    models: list[ModelOutcome]  # the shadow model, then the control

    @property
    def difference(self) -> dict[str, Estimate]:
        """Shadow minus control for each figure, with its 95% interval: the model is
        better (or worse) where the interval excludes 0."""
        shadow, control = self.models
        figures = {
            name: rate_difference(getattr(shadow, name), getattr(control, name)) for name in RATES
        }
        figures["mean_rank_acted"] = mean_difference(shadow.ranks, control.ranks)
        return figures

    def as_json(self) -> dict[str, object]:
        """Plain JSON-able figures: what a page draws (a bar and interval per model and
        figure, and the difference's)."""
        models = [
            {key: value for key, value in asdict(outcome).items() if key != "ranks"}
            for outcome in self.models
        ]
        difference = {name: asdict(value) for name, value in self.difference.items()}
        return {
            "experiment": asdict(self.experiment),
            "running": self.running,
            "models": models,
            "difference": difference,
        }


def report(url: str, experiment_id: int | None = None) -> ExperimentReport | None:
    """The latest experiment's (or `experiment_id`'s) report; None when there is none."""
    with connection(url, autocommit=True) as conn:
        return report_from(conn, experiment_id)


def report_from(conn: Connection, experiment_id: int | None = None) -> ExperimentReport | None:
    """`report` on an open connection (the API's)."""
    experiment = (
        q.experiment_by_id(conn, experiment_id)
        if experiment_id is not None
        else q.latest_experiment(conn)
    )
    if experiment is None:
        return None
    outcomes = q.experiment_outcomes(conn, experiment.id)
    running = q.running_experiment(conn)
    sides = [
        (experiment.model_id, experiment.model, "shadow"),
        (experiment.control_model_id, experiment.control_model, "control"),
    ]
    models = [
        _outcome(model_id, name, role, [o for o in outcomes if o.model_id == model_id])
        for model_id, name, role in sides
    ]
    is_running = running is not None and running.id == experiment.id
    return ExperimentReport(experiment, is_running, models)


def _outcome(model_id: int, name: str, role: str, users: list[q.UserOutcome]) -> ModelOutcome:
    ranks = [user.mean_rank for user in users if user.mean_rank is not None]
    return ModelOutcome(
        model=name,
        model_id=model_id,
        role=role,
        users=len(users),
        save_rate_top10=wilson(sum(u.saved_top10 for u in users), len(users)),
        apply_rate_top10=wilson(sum(u.applied_top10 for u in users), len(users)),
        down_vote_rate=wilson(sum(u.voted_down for u in users), len(users)),
        mean_rank_acted=bootstrap(ranks),
        acted_users=len(ranks),
        ranks=ranks,
    )
