"""Ways to run a sentence-transformers model on the CPU, behind one `Embedder` interface.

| backend | what |
|---|---|
| ``torch`` | sentence-transformers, fp32: the reference |
| ``torch-bf16`` | the same under bf16 autocast |
| ``onnx-int8`` | ONNX Runtime, graph fused, dynamic int8 quantisation (per channel) |
| ``openvino-bf16`` | OpenVINO on the exported graph, bf16 inference precision |
| ``openvino-int8`` | OpenVINO, static int8 by NNCF, a few layers bf16 (`openvino_int8.py`) |

Speed and agreement with torch fp32 on real postings: `bench/embed.py`.

``auto`` (`auto_backends`) is the fastest backend that keeps the ranking and needs no
build step: a backend qualifies with mean cosine ≥ 0.99 to torch fp32, ≥ 0.95 top-10
neighbour overlap job to job and CV to job on real postings (`bench/embed.py` prints all
three), and nDCG@10 / Recall@50 within torch's bootstrap interval in `jobmatch eval`.
That is ``openvino-bf16`` when OpenVINO is installed, else ``torch``; a model a backend
cannot run (unusual pooling) falls through to the next. ``openvino-int8`` is the fastest
and passes the gate too, but stays opt-in (``--backend openvino-int8``): its first load
quantises the model, about half a minute per cache folder (every fresh `JOBMATCH_HOME`,
so every test home, would pay it), and its vectors differ slightly from bf16's, so
making it ``auto`` would mix two backends' vectors in one model's stored set on existing
installs. Figures: docs/performance.md; the reasoning: docs/decisions.md.

The exported backends need `onnxruntime` / `openvino`, the model's pooling must be mean
or CLS, and they are built from the already-loaded weights (no download, CPU only).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from embeddings.model import Embedder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Backend = Literal["torch", "torch-bf16", "onnx-int8", "openvino-bf16", "openvino-int8"]
BACKENDS: tuple[Backend, ...] = (
    "torch",
    "torch-bf16",
    "onnx-int8",
    "openvino-bf16",
    "openvino-int8",
)
# What ``auto`` tries, fastest first; each needs the packages listed beside it.
AUTO_ORDER: tuple[tuple[Backend, tuple[str, ...]], ...] = (
    ("openvino-bf16", ("openvino",)),
    ("torch", ()),
)


class BackendUnavailableError(RuntimeError):
    """A backend cannot run this model here (missing package, unsupported pooling)."""


def auto_backends() -> list[Backend]:
    """What ``auto`` tries, in order, on this machine: the installed ones of `AUTO_ORDER`."""
    import importlib.util

    return [
        backend
        for backend, packages in AUTO_ORDER
        if all(importlib.util.find_spec(p) for p in packages)
    ]


def auto_backend() -> Backend:
    """The backend ``auto`` means here when the model can run on it."""
    return auto_backends()[0]


def build_backend(
    backend: Backend,
    *,
    model: SentenceTransformer,
    name: str,
    threads: int,
    cache_dir: Path,
    batch_size: int,
) -> Embedder:
    """An `Embedder` running `model` on `backend`."""
    if backend in ("torch", "torch-bf16"):
        from embeddings.backends.torch_backend import TorchEmbedder

        return TorchEmbedder(model, name=name, bf16=backend == "torch-bf16", batch_size=batch_size)
    if backend == "onnx-int8":
        from embeddings.backends.onnx_backend import onnx_embedder

        return onnx_embedder(
            model, name=name, threads=threads, cache_dir=cache_dir, batch_size=batch_size
        )
    if backend == "openvino-int8":
        from embeddings.backends.openvino_int8 import openvino_int8_embedder

        return openvino_int8_embedder(
            model, name=name, threads=threads, cache_dir=cache_dir, batch_size=batch_size
        )
    from embeddings.backends.openvino_backend import openvino_embedder

    return openvino_embedder(
        model, name=name, threads=threads, cache_dir=cache_dir, batch_size=batch_size
    )
