"""A deterministic fake embedder for unit and integration tests (the real model is for e2e)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.model import Embedder, Vectors
from workers.pipelines.serving import Embedders
from workers.settings import Settings
from workers.tasks import Tasks, create_tasks

_WORD = re.compile(r"[a-z0-9+#]+")


class FakeEmbedder:
    """Hashes each word to a few dimensions: texts sharing words get similar vectors."""

    def __init__(self, name: str = "fake-embedder", dimension: int = 32) -> None:
        self._name = name
        self._dimension = dimension
        self.calls: list[int] = []  # batch sizes, so tests can see what was (re)embedded

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self._dimension] += 1.0
        out[:, 0] += 1e-3  # no all-zero rows: every vector has a direction
        normalised: Vectors = out / np.linalg.norm(out, axis=1, keepdims=True)
        return normalised


def immediate_tasks(
    database_url: str, home: Path, *, embedder: Embedder | None = None, **settings: Any
) -> Tasks:
    """The worker's tasks in Huey's immediate mode (each call runs in the caller) on
    `database_url`; `embedder` (default: a `FakeEmbedder`) serves every model."""
    config = Settings(home=home, queue_url="immediate", **settings)
    embedders = Embedders(config.model, home / "models", fixed=embedder or FakeEmbedder())
    return create_tasks(config, database_url, embedders=embedders)


def real_model_tasks(database_url: str, home: Path, **settings: Any) -> Tasks:
    """Immediate-mode tasks embedding with the configured (real) model."""
    config = Settings(home=home, queue_url="immediate", **settings)
    return create_tasks(config, database_url)
