"""The reference backend: sentence-transformers on torch, fp32 or bf16 autocast."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from embeddings.model import Vectors

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class TorchEmbedder:
    """sentence-transformers' own `encode` (it sorts each call's texts by length)."""

    def __init__(
        self, model: SentenceTransformer, *, name: str, bf16: bool, batch_size: int
    ) -> None:
        self._model = model
        self._name = name
        self._bf16 = bf16
        self._batch_size = batch_size
        dimension = model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"model {name!r} does not say its embedding dimension")
        self._dimension = int(dimension)
        self.backend = "torch-bf16" if bf16 else "torch"
        self.max_tokens = int(model.max_seq_length or 0)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def model(self) -> SentenceTransformer:
        """The loaded sentence-transformers model (the other backends export from it)."""
        return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        import torch

        autocast = (
            torch.autocast("cpu", dtype=torch.bfloat16) if self._bf16 else contextlib.nullcontext()
        )
        with torch.inference_mode(), autocast:
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)
