"""What the exported backends share, on the real bundled tokenizer and model graph.

The cut-before-tokenising path must give exactly the ids the tokenizer gives a whole
text; the fixed-shape graph OpenVINO runs full batches on must give what the dynamic
graph gives.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embeddings.backends.exported import Tokeniser, export_onnx, model_dir
from embeddings.backends.torch_backend import TorchEmbedder
from embeddings.loader import DEFAULT_MODEL
from embeddings.text import job_text
from workers.sources import Remotive

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "api-responses"


def awkward_texts() -> list[str]:
    """Texts that test the cut: long without spaces, other whitespace, non-Latin, short."""
    return [
        "",
        "   ",
        "short text",
        "a" * 5000,  # no whitespace at all: read whole
        "x " * 3000,
        "line\n" * 900,
        "\t".join(["tab"] * 1500),
        "Ünïcödé 中文 テキスト " * 400,
        "1234567890-" * 600 + " tail",  # pieces longer than usual: the cut comes too soon
        "def f(x): return {'a': [x, x**2]} " * 200,
    ]


def test_cut_texts_give_the_ids_of_the_whole_text(reference: TorchEmbedder) -> None:
    tokenizer = reference.model.tokenizer
    texts = awkward_texts()
    if DATA.exists():
        body = json.loads((DATA / "remotive-2026-07-18.json").read_text(encoding="utf-8"))
        texts += [job_text(r) for r in Remotive().parse(body).records]
    want = tokenizer(texts, truncation=True, max_length=256, padding=False)["input_ids"]
    assert Tokeniser(tokenizer, 256)(texts) == [list(ids) for ids in want]


def test_a_full_batch_on_the_fixed_graph_matches_the_dynamic_graph(
    reference: TorchEmbedder, tmp_path: Path
) -> None:
    openvino = pytest.importorskip("openvino")
    from embeddings.backends.openvino_backend import compiled_runner

    source = export_onnx(reference.model, model_dir(reference.model, DEFAULT_MODEL, tmp_path))
    graph = openvino.Core().read_model(str(source))
    dynamic = compiled_runner(graph, 2, 2)
    fixed = compiled_runner(graph, 2, 2, full_shape=(2, 12))
    rng = np.random.default_rng(0)
    full = rng.integers(1000, 5000, size=(2, 12), dtype=np.int64)
    shorter = rng.integers(1000, 5000, size=(3, 7), dtype=np.int64)
    batches = [
        (full, np.ones_like(full)),
        (shorter, np.ones_like(shorter)),
        (full, np.ones_like(full)),
    ]
    for got, want in zip(fixed(batches), dynamic(batches), strict=True):
        assert got.shape == want.shape
        assert np.allclose(got, want, atol=2e-2)
