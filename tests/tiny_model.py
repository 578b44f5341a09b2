"""A tiny sentence-transformers model made here (one 16-wide layer, random weights), so
tests of the model registry load a real local folder in milliseconds and can retrain it
in place; the tokenizer is the bundled model's, nothing is downloaded."""

from __future__ import annotations

import warnings
from pathlib import Path

from embeddings.loader import resolve_model


def make_tiny_model(folder: Path, *, seed: int = 0) -> Path:
    """A sentence-transformers folder (BERT, mean pooling, 16 dimensions) at `folder`."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import AutoTokenizer, BertConfig, BertModel

    tokenizer = AutoTokenizer.from_pretrained(resolve_model("bundled"), local_files_only=True)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
    )
    torch.manual_seed(seed)
    raw = folder.parent / f"{folder.name}-transformer"
    BertModel(config).save_pretrained(raw)
    tokenizer.save_pretrained(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the libraries' own deprecation chatter
        word = Transformer(str(raw), max_seq_length=128)
        pooling = Pooling(word.get_embedding_dimension(), "mean")
        SentenceTransformer(modules=[word, pooling], device="cpu").save(str(folder))
    return folder


def retrain_in_place(folder: Path) -> None:
    """New weights in the same folder, as a fine-tuning run saving over its input does."""
    import torch
    from sentence_transformers import SentenceTransformer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.add_(0.05 * torch.randn_like(parameter))
        model.save(str(folder))
