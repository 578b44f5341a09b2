"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import pytest

from embeddings.backends.torch_backend import TorchEmbedder
from embeddings.loader import DEFAULT_MODEL, load_embedder


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> TorchEmbedder:
    """torch fp32 on the bundled model: what the faster backends are compared with (and
    the weights they are built from); loaded once for the whole session."""
    embedder = load_embedder(
        DEFAULT_MODEL, backend="torch", cache_dir=tmp_path_factory.mktemp("unused")
    )
    assert isinstance(embedder, TorchEmbedder)
    return embedder
