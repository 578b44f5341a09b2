"""ONNX Runtime with dynamic int8 quantisation, built from the loaded weights.

Steps, each cached next to the export: fuse the graph with ONNX Runtime's transformer
optimiser (attention, GELU, layer norm; skipped for architectures it does not know),
then quantise the weights of every MatMul to int8 per output channel (per-tensor
quantisation moves MiniLM's vectors too far from fp32; docs/decisions.md). Activations
are quantised on the fly.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embeddings.backends import BackendUnavailableError
from embeddings.backends.exported import (
    Batch,
    ExportedEmbedder,
    export_onnx,
    model_dir,
    transformer_of,
    write_atomically,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def onnx_embedder(
    model: SentenceTransformer, *, name: str, threads: int, cache_dir: Path, batch_size: int
) -> ExportedEmbedder:
    """An embedder running the int8 ONNX graph of `model` with `threads` threads."""
    try:
        import onnxruntime as ort
    except ImportError as error:
        raise BackendUnavailableError(
            "backend onnx-int8 needs onnxruntime: `pip install onnxruntime`"
        ) from error
    folder = model_dir(model, name, cache_dir)
    quantised = int8_model(model, folder)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1  # one graph at a time; both cores go to its operators
    options.log_severity_level = 3
    session = ort.InferenceSession(str(quantised), options, providers=["CPUExecutionProvider"])

    def run(batches: list[Batch]) -> list[np.typing.NDArray[np.float32]]:
        return [
            np.asarray(
                session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0],
                dtype=np.float32,
            )
            for ids, mask in batches
        ]

    return ExportedEmbedder(model, run, name=name, backend="onnx-int8", batch_size=batch_size)


def int8_model(model: SentenceTransformer, folder: Path) -> Path:
    """`folder/model-int8.onnx`, exporting, fusing and quantising on first use."""
    target = folder / "model-int8.onnx"
    if target.exists():
        return target
    fp32 = export_onnx(model, folder)
    fused = write_atomically(folder / "model-fused.onnx", lambda tmp: _fuse(model, fp32, tmp))
    return write_atomically(target, lambda tmp: _quantise(fused, tmp))


def _fuse(model: SentenceTransformer, source: Path, target: Path) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    config = transformer_of(model).config
    known = {"bert": "bert", "roberta": "bert", "distilbert": "bert", "mpnet": "bert"}
    model_type = known.get(str(getattr(config, "model_type", "")))
    if model_type is None:  # an architecture the optimiser does not know: keep the graph
        target.write_bytes(source.read_bytes())
        return
    optimised = optimize_model(
        str(source),
        model_type=model_type,
        num_heads=int(config.num_attention_heads),
        hidden_size=int(config.hidden_size),
        opt_level=1,
    )
    optimised.save_model_to_file(str(target))


def _quantise(source: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quiet = logging.getLogger()
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the quantiser logs a pre-processing hint at WARNING
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # The fused graph has contrib operators shape inference cannot type.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        quiet.setLevel(level)
