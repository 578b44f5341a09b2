"""OpenVINO on the exported ONNX graph, with bf16 inference precision.

On CPUs with AVX-512 BF16 or AMX the matrix products run in bf16 (fp32 accumulation),
which keeps the vectors within rounding of fp32; elsewhere OpenVINO falls back to fp32.
With `streams` > 1 the batches of one `encode` call run concurrently, one stream per
core, each single-threaded: a multi-threaded stream spends part of each operator waiting
for its threads to meet.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.backends import BackendUnavailableError
from embeddings.backends.exported import (
    Batch,
    ExportedEmbedder,
    RunFn,
    export_onnx,
    model_dir,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def openvino_embedder(
    model: SentenceTransformer,
    *,
    name: str,
    threads: int,
    cache_dir: Path,
    batch_size: int,
    streams: int | None = None,
) -> ExportedEmbedder:
    """An embedder running `model`'s ONNX export on OpenVINO's CPU plugin."""
    try:
        import openvino
    except ImportError as error:
        raise BackendUnavailableError(
            "backend openvino-bf16 needs openvino: `pip install openvino`"
        ) from error
    source = export_onnx(model, model_dir(model, name, cache_dir))
    streams = streams or threads
    full = (batch_size, int(model.max_seq_length or 512))
    run = compiled_runner(openvino.Core().read_model(str(source)), threads, streams, full)
    return ExportedEmbedder(
        model, run, name=name, backend="openvino-bf16", batch_size=batch_size, parallel=streams
    )


def compiled_runner(
    graph: Any, threads: int, streams: int, full_shape: tuple[int, int] | None = None
) -> RunFn:
    """Compile `graph` for the CPU (bf16 where supported) and run it on `streams` requests.

    The int8 backend shares this: its quantised MatMuls run in int8, the rest in bf16.
    With `full_shape` (batch size, tokens) a second copy is compiled for exactly that
    shape, and full batches of full-length texts (most real postings) run on it: the CPU
    plugin picks its kernels for fixed shapes once, which runs faster than the dynamic graph.
    """
    dynamic = _compile(graph, threads, streams)
    if full_shape is None:
        return _concurrent_runner({}, dynamic, streams)
    fixed = graph.clone()
    fixed.reshape({port.get_any_name(): list(full_shape) for port in fixed.inputs})
    return _concurrent_runner({full_shape: _compile(fixed, threads, streams)}, dynamic, streams)


def _compile(graph: Any, threads: int, streams: int) -> Any:
    import openvino

    return openvino.Core().compile_model(
        graph,
        "CPU",
        {
            "INFERENCE_PRECISION_HINT": "bf16",
            "INFERENCE_NUM_THREADS": threads,
            "NUM_STREAMS": streams,
        },
    )


def _concurrent_runner(fixed: dict[tuple[int, int], Any], dynamic: Any, streams: int) -> RunFn:
    """Run batches on `streams` infer requests at once, results in input order.

    A batch whose shape one of the `fixed` graphs was compiled for runs there, any other
    on the `dynamic` graph; either way no more than `streams` run at once.
    """
    requests = {shape: _requests(graph, streams) for shape, graph in fixed.items()}
    anything = _requests(dynamic, streams)
    lock = threading.Lock()  # the requests are shared: one encode call at a time uses them

    def run(batches: list[Batch]) -> list[np.typing.NDArray[np.float32]]:
        results: list[Any] = [None] * len(batches)
        with lock:
            # Round robin over the stream slots; each slot runs one batch at a time.
            for start in range(0, len(batches), streams):
                active = [
                    (slot, requests.get(ids.shape, anything)[slot], ids, mask)
                    for slot, (ids, mask) in enumerate(batches[start : start + streams])
                ]
                for _, request, ids, mask in active:
                    request.start_async({"input_ids": ids, "attention_mask": mask})
                for slot, request, _, _ in active:
                    request.wait()
                    results[start + slot] = np.array(request.get_output_tensor(0).data)
        return results

    return run


def _requests(compiled: Any, count: int) -> list[Any]:
    return [compiled.create_infer_request() for _ in range(count)]
