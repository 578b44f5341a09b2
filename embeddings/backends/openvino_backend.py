"""OpenVINO on the exported ONNX graph, with bf16 inference precision.

On CPUs with AVX-512 BF16 or AMX the matrix products run in bf16 (fp32 accumulation),
which keeps the vectors within rounding of fp32; elsewhere OpenVINO falls back to fp32.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embeddings.backends import BackendUnavailableError
from embeddings.backends.exported import ExportedEmbedder, IntArray, export_onnx, model_dir

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def openvino_embedder(
    model: SentenceTransformer, *, name: str, threads: int, cache_dir: Path, batch_size: int
) -> ExportedEmbedder:
    """An embedder running `model`'s ONNX export on OpenVINO's CPU plugin."""
    try:
        import openvino
    except ImportError as error:
        raise BackendUnavailableError(
            "backend openvino-bf16 needs openvino: `pip install openvino`"
        ) from error
    source = export_onnx(model, model_dir(model, name, cache_dir))
    core = openvino.Core()
    compiled = core.compile_model(
        core.read_model(str(source)),
        "CPU",
        {
            "INFERENCE_PRECISION_HINT": "bf16",
            "INFERENCE_NUM_THREADS": threads,
            "PERFORMANCE_HINT": "LATENCY",
        },
    )
    request = compiled.create_infer_request()
    output = compiled.output(0)

    def run(ids: IntArray, mask: IntArray) -> np.typing.NDArray[np.float32]:
        result = request.infer({"input_ids": ids, "attention_mask": mask})
        return np.asarray(result[output], dtype=np.float32)

    return ExportedEmbedder(model, run, name=name, backend="openvino-bf16", batch_size=batch_size)
