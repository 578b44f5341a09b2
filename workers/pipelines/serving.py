"""The model that serves users: which one is active, and its embedder, loaded once.

Every door that embeds (the worker's tasks, `jobmatch cv add`, the demo, search in the
API) asks an `Embedders` object built at its start, so each process loads a model once
and a model switch (`jobmatch models activate`) reaches it without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from embeddings.loader import ModelLoader, ModelUnavailableError, fingerprint_of
from embeddings.model import Embedder
from embeddings.text import TextOptions, parse_model_key
from schema.database import connection
from schema.queries.experiments import running_experiment
from schema.queries.models import EmbeddingModel, active_model


@dataclass(frozen=True)
class ServingModel:
    """What to load to embed for the users' model: a `load_embedder` name and text options."""

    name: str
    options: TextOptions


def serving_model(url: str, default: str) -> ServingModel:
    """The active model (as `jobmatch models activate` set it), or `default` before any."""
    with connection(url) as conn:
        model = active_model(conn)
    if model is None:
        return ServingModel(default, TextOptions())
    name, options = parse_model_key(model.name)
    return ServingModel(name, options)


class Embedders:
    """This process's embedders, loaded on first use and kept.

    `fixed` replaces every model with one embedder (tests pass a deterministic fake).
    """

    def __init__(
        self, default_model: str, cache_dir: Path, *, fixed: Embedder | None = None
    ) -> None:
        self.default_model = default_model
        self._fixed = fixed
        self._loader = ModelLoader(cache_dir=cache_dir)

    def load(self, name: str, backend: str = "auto") -> Embedder:
        """The embedder of `name` (loading the model the first time it is asked for)."""
        if self._fixed is not None:
            return self._fixed
        return self._loader.load(name, backend)

    def serving(self, url: str) -> tuple[Embedder, TextOptions]:
        """The embedder and text options of the active model (the default before any)."""
        choice = serving_model(url, self.default_model)
        return self.load(choice.name), choice.options

    def experiment_shadow(self, url: str) -> tuple[Embedder, TextOptions] | None:
        """The running experiment's shadow model, whose set must stay as current as the
        active one's (its users' lists are made from it); None when none runs."""
        with connection(url) as conn:
            running = running_experiment(conn)
        if running is None:
            return None
        name, options = parse_model_key(running.model)
        embedder = self.load(name)
        return (embedder, options) if embedder.name == name else None

    def for_queries(self, model: EmbeddingModel) -> Embedder | None:
        """An embedder that encodes queries comparable with `model`'s stored vectors, or
        None when this process cannot load it, it is another model, or other weights."""
        if model.stale:
            # Weights retrained in place: new queries against the old vectors would rank
            # nonsense, so none are encoded until the new set replaces the stale one.
            return None
        name = parse_model_key(model.name)[0]
        try:
            embedder = self.load(name)  # a folder changed on disk is read anew
        except ModelUnavailableError:
            return None
        if embedder.name != name or embedder.dimension != model.dimension:
            return None
        loaded = fingerprint_of(embedder)
        if loaded is not None and model.fingerprint is not None and loaded != model.fingerprint:
            return None
        return embedder
