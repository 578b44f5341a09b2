"""Ways to run a sentence-transformers model on the CPU, behind one `Embedder` interface.

| backend | what |
|---|---|
| ``torch`` | sentence-transformers, fp32: the reference |
| ``torch-bf16`` | the same under bf16 autocast |
| ``onnx-int8`` | ONNX Runtime, graph fused, dynamic int8 quantisation (per channel) |
| ``openvino-bf16`` | OpenVINO on the exported graph, bf16 inference precision |
| ``openvino-int8`` | OpenVINO, static int8 by NNCF, a few layers bf16 (`openvino_int8.py`) |

Speed and agreement with torch fp32 on real postings: `bench/embed.py`.

``auto`` (`auto_backend`) is the fastest backend that keeps the ranking: a backend
qualifies only with mean cosine ≥ 0.99 to torch fp32, ≥ 0.95 top-10 neighbour overlap
job to job and CV to job on real postings (`bench/embed.py` prints all three), and
nDCG@10 / Recall@50 within torch's bootstrap interval in `jobmatch eval`. That is
``openvino-bf16`` when OpenVINO is installed, else ``torch``.

`bench/embed.py`, 256 real postings at the full 256 word pieces, 2 threads, the machine
shared with other work (load 2.7 on 2 cores; torch fp32 16.5 texts/s), ratio to torch
fp32 as median over interleaved slices / all texts over all time / CPU seconds:

| backend | × fp32 | cosine mean | top-10 overlap job→job, CV→job |
|---|---|---|---|
| torch-bf16 | 1.81 / 1.69 / 1.68 | 0.99998 | 0.995, 0.988 |
| onnx-int8 | 2.18 / 2.20 / 2.12 | 0.993 | 0.920, 0.872 |
| openvino-bf16 | 2.55 / 2.79 / 2.58 | 0.99998 | 0.995, 0.985 |
| openvino-int8 | 3.49 / 3.40 / 3.16 | 0.9987 | 0.971, 0.947 |

openvino-int8 reaches the 3× target and `jobmatch eval --shared-data` finds no loss
(nDCG@10 0.260 against torch's 0.254 [0.225, 0.285], Recall@50 0.698 against 0.696
[0.660, 0.729]), but its CV-to-job neighbour overlap sits just under 0.95 (0.947; 0.953
with another calibration draw), so it is offered with ``--backend openvino-int8``, not
chosen by ``auto``. When the machine is busier the ratios of every backend rise, because
torch fp32 suffers most: the quieter figure is the honest one.

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
PREFERRED_BACKEND: Backend = "openvino-bf16"


class BackendUnavailableError(RuntimeError):
    """A backend cannot run this model here (missing package, unsupported pooling)."""


def auto_backend() -> Backend:
    """What ``auto`` means on this machine: OpenVINO bf16 when installed, else torch."""
    import importlib.util

    return PREFERRED_BACKEND if importlib.util.find_spec("openvino") else "torch"


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
