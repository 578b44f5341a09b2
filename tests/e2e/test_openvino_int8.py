"""The int8 OpenVINO backend: built offline from the bundled weights, cached, close to fp32.

Quantises the real bundled model once for the module, on a small calibration set (32
windows instead of the product's 300, so the build takes seconds), with every network
connection refused while it runs.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest

from embeddings.backends import auto_backends
from embeddings.backends.exported import ExportedEmbedder
from embeddings.backends.openvino_int8 import (
    QuantisedModel,
    calibration_texts,
    int8_ir,
    openvino_int8_embedder,
)
from embeddings.backends.torch_backend import TorchEmbedder
from embeddings.loader import DEFAULT_MODEL
from embeddings.text import job_text
from workers.sources import Remotive

pytest.importorskip("nncf", reason="the openvino-int8 backend needs nncf installed")
pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "api-responses"
SAMPLES = 32


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def built(reference: TorchEmbedder, cache: Path) -> tuple[ExportedEmbedder, list[object]]:
    """The int8 embedder, quantised with every socket connection refused and recorded."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network access attempted while building the int8 model")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        embedder = build_int8(reference, cache)
    return embedder, attempts


def build_int8(reference: TorchEmbedder, cache: Path) -> ExportedEmbedder:
    """The int8 embedder of the bundled model, built (or loaded) in `cache`."""
    return openvino_int8_embedder(
        reference.model,
        name=DEFAULT_MODEL,
        threads=2,
        cache_dir=cache,
        batch_size=16,
        calibration_samples=SAMPLES,
    )


@pytest.fixture(scope="module")
def postings() -> list[str]:
    """Prepared texts of 40 real Remotive postings (nearly all past 256 word pieces)."""
    if not DATA.exists():
        pytest.skip(f"real API responses are absent ({DATA} not found)")
    body = json.loads((DATA / "remotive-2026-07-18.json").read_text(encoding="utf-8"))
    return [job_text(r) for r in Remotive().parse(body).records[:40]]


def agreement(fast: np.ndarray, exact: np.ndarray) -> None:
    """Close to fp32 text by text, and most texts keep their nearest neighbour."""
    cosines = (fast * exact).sum(axis=1)
    assert cosines.mean() > 0.99
    assert cosines.min() > 0.97
    same = [a == b for a, b in zip(nearest(fast), nearest(exact), strict=True)]
    assert sum(same) >= 0.8 * len(same)


def nearest(vectors: np.ndarray) -> list[int]:
    """Each row's most similar other row."""
    scores = vectors @ vectors.T
    np.fill_diagonal(scores, -np.inf)
    return [int(i) for i in np.argmax(scores, axis=1)]


def test_it_builds_offline_and_gives_unit_vectors(
    built: tuple[ExportedEmbedder, list[object]],
) -> None:
    embedder, attempts = built
    assert attempts == []
    assert embedder.backend == "openvino-int8"
    assert embedder.dimension == 384
    vectors = embedder.encode(["Senior Python developer", "a nurse", "x " * 3000])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_it_agrees_with_torch_fp32_on_real_postings(
    built: tuple[ExportedEmbedder, list[object]], reference: TorchEmbedder, postings: list[str]
) -> None:
    embedder, _ = built
    agreement(embedder.encode(postings), reference.encode(postings))


def test_it_agrees_with_torch_fp32_on_the_bundled_texts(
    built: tuple[ExportedEmbedder, list[object]], reference: TorchEmbedder
) -> None:
    embedder, _ = built
    texts = calibration_texts()
    agreement(embedder.encode(texts), reference.encode(texts))


def test_the_quantised_model_is_cached_and_reused(
    built: tuple[ExportedEmbedder, list[object]], reference: TorchEmbedder, cache: Path
) -> None:
    embedder, _ = built
    again = int8_ir(reference.model, DEFAULT_MODEL, cache, SAMPLES)
    assert isinstance(again, QuantisedModel)
    assert not again.built
    assert again.xml.exists()
    assert again.xml.with_suffix(".bin").exists()
    assert [p.name for p in again.xml.parent.parent.glob(".building-*")] == []
    stamp = again.xml.stat().st_mtime_ns
    second = build_int8(reference, cache)
    assert again.xml.stat().st_mtime_ns == stamp
    texts = ["Registered nurse, night shifts", "Backend engineer, Go and Kubernetes"]
    assert np.allclose(second.encode(texts), embedder.encode(texts), atol=1e-6)


def test_auto_tries_bf16_then_torch_and_int8_is_opt_in() -> None:
    assert auto_backends() == ["openvino-bf16", "torch"]


def test_calibration_text_is_the_bundled_demo_data() -> None:
    texts = calibration_texts()
    assert len(texts) == 45  # 42 demo postings and three demo CVs
    assert all(t.strip() for t in texts)
