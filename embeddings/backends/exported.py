"""What the exported backends share: the ONNX export, and tokenise → sort → run → pool.

The export is made from the weights already loaded (no download), with eager attention so
ONNX Runtime's optimiser recognises and fuses the attention blocks, and cached under
`cache_dir/<model>-<weights fingerprint>/`, so it happens once per machine per model
(a few seconds for MiniLM). Files are written to a temporary name and renamed, so two
processes exporting at once never leave a half-written file.
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from embeddings.backends import BackendUnavailableError
from embeddings.fingerprint import weights_fingerprint
from embeddings.model import Vectors

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

IntArray = npt.NDArray[np.int64]
Batch = tuple[IntArray, IntArray]  # (input_ids, attention_mask)
# Batches -> the last hidden state of each, shape (batch, tokens, hidden), in order.
RunFn = Callable[[list[Batch]], list[npt.NDArray[np.float32]]]

_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")
# Characters read per word piece the model keeps before the rest of a text is dropped
# unread. Real postings run ~4.5 characters a piece; 8 leaves room for code and numbers.
_CHARS_PER_PIECE = 8


def pooling_mode(model: SentenceTransformer) -> str:
    """The model's pooling ('mean' or 'cls'); anything else cannot run exported here."""
    pooling: Any = model[1] if len(model) > 1 else None
    config: dict[str, Any] = pooling.get_config_dict() if pooling is not None else {}
    mode = str(config.get("pooling_mode", ""))
    if mode not in ("mean", "cls"):
        raise BackendUnavailableError(
            f"exported backends support mean or CLS pooling, this model uses {mode or 'none'}; "
            "use --backend torch"
        )
    return mode


def transformer_of(model: SentenceTransformer) -> Any:
    """The Hugging Face model inside the first (Transformer) module."""
    first: Any = model[0]
    return first.model


def model_dir(model: SentenceTransformer, name: str, cache_dir: Path) -> Path:
    """`cache_dir/<name>-<fingerprint of the weights>`: new weights, new folder."""
    folder = cache_dir / f"{_SLUG.sub('_', name)[-60:]}-{weights_fingerprint(model)[:16]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_atomically(target: Path, write: Callable[[Path], None]) -> Path:
    """Run `write(tmp)` then rename tmp to `target`; skipped when `target` exists."""
    if target.exists():
        return target
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=target.suffix)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        tmp.chmod(0o644)  # mkstemp makes it private; other local users may share the cache
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def export_onnx(model: SentenceTransformer, folder: Path) -> Path:
    """`folder/model-fp32.onnx`: the transformer (without pooling) as an ONNX graph."""
    return write_atomically(folder / "model-fp32.onnx", lambda tmp: _export(model, tmp))


def _export(model: SentenceTransformer, target: Path) -> None:
    import torch

    transformer = transformer_of(model)
    previous = transformer.config._attn_implementation
    transformer.set_attn_implementation("eager")  # fusable by the ONNX Runtime optimiser

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            return out.last_hidden_state  # type: ignore[no-any-return]

    sample = model.tokenizer(["an example", "a second example text"], padding=True)
    ids = torch.tensor(sample["input_ids"], dtype=torch.int64)
    mask = torch.tensor(sample["attention_mask"], dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(
                LastHidden().eval(),
                (ids, mask),
                str(target),
                input_names=["input_ids", "attention_mask"],
                output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                opset_version=17,
                dynamo=False,
            )
    finally:
        transformer.set_attn_implementation(previous)


class ExportedEmbedder:
    """Tokenise, sort by token count (less padding), run the graph, pool, normalise."""

    def __init__(
        self,
        model: SentenceTransformer,
        run: RunFn,
        *,
        name: str,
        backend: str,
        batch_size: int,
        parallel: int = 1,
    ) -> None:
        self.max_tokens = int(model.max_seq_length or 512)
        self._tokenise = Tokeniser(model.tokenizer, self.max_tokens)
        dimension = model.get_embedding_dimension()
        if dimension is None:
            raise BackendUnavailableError(f"model {name!r} does not say its dimension")
        self._dimension = int(dimension)
        self._pooling = pooling_mode(model)
        self._pad_id = int(getattr(model.tokenizer, "pad_token_id", None) or 0)
        self._run = run
        self._name = name
        self._batch_size = batch_size
        self._parallel = parallel  # batches the runtime can run at once
        self.backend = backend

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Unit-length float32 vectors, one row per text, in the order given."""
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        if not texts:
            return out
        ids = self._tokenise(texts)
        order = np.argsort([len(row) for row in ids], kind="stable")
        # Few texts: smaller batches, so every stream of a parallel runtime gets one.
        size = max(1, min(self._batch_size, -(-len(order) // self._parallel)))
        groups = [order[s : s + size] for s in range(0, len(order), size)]
        batches = [_pad([ids[i] for i in rows], self._pad_id) for rows in groups]
        # All batches go to the runtime at once: OpenVINO overlaps them on its streams.
        for rows, (_, mask), hidden in zip(groups, batches, self._run(batches), strict=True):
            out[rows] = _pool(hidden, mask, self._pooling)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.asarray(out / np.maximum(norms, 1e-12), dtype=np.float32)


class Tokeniser:
    """Word-piece ids of texts truncated to `max_tokens`, reading only what is kept.

    Real postings run to many thousands of characters, and a fast tokenizer reads a whole
    text before truncating it, a sizeable share of a quantised encode. A text is cut at the
    last whitespace before `max_tokens * 8` characters; the pieces before the cut are the
    text's own (tokenizers split words at whitespace, so no piece spans the cut). A cut
    text whose pieces did not overflow `max_tokens` was cut too soon and is read whole,
    so the ids are always the ones the full text gives.
    """

    def __init__(self, tokenizer: Any, max_tokens: int) -> None:
        self._tokenizer = tokenizer
        self._max_tokens = max_tokens
        self._limit = max_tokens * _CHARS_PER_PIECE
        backend = getattr(tokenizer, "backend_tokenizer", None)  # fast (Rust) tokenizers only
        self._fast: Any = None
        # Cutting keeps a text's start: only right truncation keeps the same.
        if backend is not None and getattr(tokenizer, "truncation_side", "right") == "right":
            self._fast = copy.deepcopy(backend)  # the model's own tokenizer keeps its settings
            self._fast.no_padding()
            self._fast.enable_truncation(max_tokens)

    def __call__(self, texts: Sequence[str]) -> list[list[int]]:
        if self._fast is None:
            ids: list[list[int]] = self._tokenizer(
                list(texts), truncation=True, max_length=self._max_tokens, padding=False
            )["input_ids"]
            return ids
        heads = [_cut(text, self._limit) for text in texts]
        encodings = self._fast.encode_batch(heads)
        return [
            list(self._fast.encode(text).ids if _too_soon(head, text, enc) else enc.ids)
            for text, head, enc in zip(texts, heads, encodings, strict=True)
        ]


def _cut(text: str, limit: int) -> str:
    """`text` up to its last whitespace before `limit` characters (whole if none)."""
    if len(text) <= limit:
        return text
    end = max(text.rfind(space, 0, limit) for space in (" ", "\n", "\t"))
    return text[:end] if end > 0 else text


def _too_soon(head: str, text: str, encoding: Any) -> bool:
    """Whether a cut `head` kept fewer pieces than the model reads (nothing overflowed)."""
    return len(head) < len(text) and not encoding.overflowing


def _pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[IntArray, IntArray]:
    width = max(len(row) for row in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for r, row in enumerate(rows):
        ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
    return ids, mask


def _pool(hidden: npt.NDArray[np.float32], mask: IntArray, mode: str) -> Vectors:
    if mode == "cls":
        return np.asarray(hidden[:, 0, :], dtype=np.float32)
    weights = mask[..., None].astype(np.float32)
    summed = (hidden.astype(np.float32) * weights).sum(axis=1)
    return np.asarray(summed / np.maximum(weights.sum(axis=1), 1e-9), dtype=np.float32)
