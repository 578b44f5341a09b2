"""OpenVINO with static int8 quantisation (NNCF), built once from the loaded weights.

The ONNX export (see `exported.py`) is read by OpenVINO and quantised by NNCF's
post-training quantisation: activation ranges are measured on calibration text, then
the MatMuls run in int8 (VNNI) with the rest of the graph in bf16. Calibration text is
the project's own, shipped in the package (`server/demo_data`: 42 job postings and three
CVs), cut into windows of word pieces so most samples are full 256-piece sequences as
real postings are; nothing is downloaded. Deterministic: the same windows every build.

What stays bf16: the feed-forward output projections (`KEEP_BF16`). Fed by GELU, whose
outputs have the widest range, they are what moves the vectors in int8; SmoothQuant
(per-channel scales moved from activations into weights) at α 0.75 is what lets the
feed-forward input projections (fed by LayerNorm, with its few outlier channels) and
layer 0 run in int8 with CV-to-job neighbours still within the quality gate
(`embeddings.backends`). So in int8: every MatMul but the six feed-forward output
projections, and the query·key products; softmax·value stays bf16. The patterns name
BERT-style layers; other architectures get int8 everywhere (the patterns are not
validated). The recipes compared, with their figures: docs/decisions.md.

The quantised model is cached under the export's folder (keyed by the weights, and here
by OpenVINO and NNCF versions, the calibration size and `_FORMAT`), written to a
temporary folder and renamed, so a second process, or a race of two, loads it in a
second; building it (export included) takes about half a minute on first use.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.backends import BackendUnavailableError
from embeddings.backends.exported import ExportedEmbedder, export_onnx, model_dir, pooling_mode
from embeddings.backends.openvino_backend import compiled_runner
from embeddings.text import cv_text, job_text

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

CALIBRATION_SAMPLES = 300
# BERT-style feed-forward output projections stay bf16 (see above).
KEEP_BF16 = (r".*layer\.\d+/output/dense/MatMul",)
# SmoothQuant's migration strength for MatMuls (NNCF's default for transformers is 0.95).
SMOOTH_QUANT_ALPHA = 0.75
_FORMAT = 4  # bump when the recipe below changes, so old caches are not reused


@dataclass(frozen=True)
class QuantisedModel:
    """Where the int8 IR lies, and whether this call built it (False: from the cache)."""

    xml: Path
    built: bool


def openvino_int8_embedder(
    model: SentenceTransformer,
    *,
    name: str,
    threads: int,
    cache_dir: Path,
    batch_size: int,
    calibration_samples: int = CALIBRATION_SAMPLES,
) -> ExportedEmbedder:
    """An embedder running `model` quantised to int8 on OpenVINO's CPU plugin."""
    try:
        import openvino
    except ImportError as error:
        raise BackendUnavailableError(
            "backend openvino-int8 needs openvino and nncf: `pip install openvino nncf`"
        ) from error
    pooling_mode(model)  # refuse an unsupported model before half a minute of quantising
    quantised = int8_ir(model, name, cache_dir, calibration_samples)
    graph = openvino.Core().read_model(str(quantised.xml))
    run = compiled_runner(graph, threads, threads, (batch_size, int(model.max_seq_length or 512)))
    return ExportedEmbedder(
        model, run, name=name, backend="openvino-int8", batch_size=batch_size, parallel=threads
    )


def int8_ir(
    model: SentenceTransformer, name: str, cache_dir: Path, calibration_samples: int
) -> QuantisedModel:
    """The cached int8 OpenVINO IR of `model`, quantising it on first use."""
    folder = model_dir(model, name, cache_dir)
    target = folder / f"openvino-int8-{_versions()}-n{calibration_samples}-f{_FORMAT}"
    xml = target / "model.xml"
    if xml.exists():
        return QuantisedModel(xml, built=False)
    logger.warning("quantising %s to int8 once for this machine (about 35 s)", name)
    source = export_onnx(model, folder)
    building = Path(tempfile.mkdtemp(dir=folder, prefix=".building-"))
    try:
        _quantise(model, source, building / "model.xml", calibration_samples)
        building.chmod(0o755)  # mkdtemp makes it private; other local users may share the cache
        try:
            os.rename(building, target)
        except OSError:  # another process finished first: its copy is as good as ours
            if not xml.exists():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return QuantisedModel(xml, built=True)


def _versions() -> str:
    try:
        found = {p: importlib.metadata.version(p) for p in ("openvino", "nncf")}
    except importlib.metadata.PackageNotFoundError as error:
        raise BackendUnavailableError(
            "backend openvino-int8 needs openvino and nncf: `pip install openvino nncf`"
        ) from error
    return f"ov{found['openvino']}-nncf{found['nncf']}".replace("+", "_")


def _quantise(model: SentenceTransformer, source: Path, target: Path, samples: int) -> None:
    # NNCF sends usage telemetry unless told it runs in CI; jobmatch never phones home.
    os.environ.setdefault("NNCF_CI", "1")
    import nncf
    import openvino

    rows = calibration_windows(model.tokenizer, samples, int(model.max_seq_length or 256))
    data = nncf.Dataset(
        [
            {
                "input_ids": np.asarray([r], np.int64),
                "attention_mask": np.ones((1, len(r)), np.int64),
            }
            for r in rows
        ]
    )
    nncf.set_log_level(logging.ERROR)
    # NNCF draws progress bars on stdout, which carries `--json` output: send them aside.
    with contextlib.redirect_stdout(sys.stderr):
        quantised = nncf.quantize(
            openvino.Core().read_model(str(source)),
            data,
            model_type=nncf.ModelType.TRANSFORMER,
            preset=nncf.QuantizationPreset.MIXED,
            subset_size=len(rows),
            ignored_scope=nncf.IgnoredScope(patterns=list(KEEP_BF16), validate=False),
            advanced_parameters=nncf.AdvancedQuantizationParameters(
                smooth_quant_alphas=nncf.AdvancedSmoothQuantParameters(matmul=SMOOTH_QUANT_ALPHA)
            ),
        )
    openvino.save_model(quantised, str(target), compress_to_fp16=False)


@dataclass(frozen=True)
class _DemoJob:
    title: str
    company: str
    location: str
    remote: bool
    tags: list[str]
    category: str | None
    description: str


def calibration_texts() -> list[str]:
    """The bundled demo postings and CVs, prepared as the product prepares them."""
    folder = resources.files("server") / "demo_data"
    fields = _DemoJob.__dataclass_fields__
    jobs: list[dict[str, Any]] = json.loads((folder / "jobs.json").read_text(encoding="utf-8"))
    texts = [job_text(_DemoJob(**{k: v for k, v in j.items() if k in fields})) for j in jobs]
    cvs = sorted(p.name for p in folder.iterdir() if p.name.endswith(".md"))
    return texts + [cv_text((folder / n).read_text(encoding="utf-8")) for n in cvs]


def calibration_windows(tokenizer: Any, samples: int, max_tokens: int) -> list[list[int]]:
    """`samples` token sequences cut from the calibration texts, three in four full length.

    The texts are joined into one stream of word pieces and windows are taken at fixed
    pseudo-random offsets: real postings mostly fill the model's 256 pieces, the demo
    texts are shorter, and activation ranges depend on sequence length.
    """
    stream = [
        piece
        for text in calibration_texts()
        for piece in tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
    ]
    # How the tokenizer frames a text ([CLS] … [SEP] for BERT), from an empty one.
    special = list(tokenizer("")["input_ids"])
    head, tail = special[:1], special[1:]
    body = max_tokens - len(special)
    rng = np.random.default_rng(0)
    windows = []
    for index in range(samples):
        length = body if index % 4 else int(rng.integers(8, body))
        start = int(rng.integers(0, max(1, len(stream) - length)))
        pieces = stream[start : start + length]
        windows.append(head + pieces + tail)
    return windows
