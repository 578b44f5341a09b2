"""A model's identity: the fingerprint of its weights, not the path or name it came from.

A folder retrained in place keeps its path but gets new weights; vectors made by the old
weights cannot be compared with queries encoded by the new ones. The fingerprint is what
the model registry keys vector sets by, and what names the exported-graph cache folders.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def weights_fingerprint(model: SentenceTransformer) -> str:
    """SHA-256 (hex) of the transformer's tensors, names and torch version, in key order."""
    import torch

    transformer: Any = model[0]
    digest = hashlib.sha256(f"torch {torch.__version__}".encode())
    for key, tensor in sorted(transformer.model.state_dict().items()):
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()
