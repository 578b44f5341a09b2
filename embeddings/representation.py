"""One vector per job or CV from weighted pieces of its text, so that long texts count whole.

A text becomes pieces (a window of words, or a job's head), each with a weight; its vector
is the normalised weighted sum of the pieces' vectors. `TextOptions.long_text` decides:

- ``truncate``: one piece, the prepared text (the model reads its first 256 word pieces);
- ``chunk``: windows of `chunk_words` words, equal weights (their mean);
- ``sections``: a job is its head (title, company, category, tags, place) weighted
  `head_weight` against its description; the description is cut into sections
  (`embeddings.sections`) and windows, and windows of introduction and boilerplate
  sections weigh `intro_weight` and `boilerplate_weight` against those that describe the
  work. A CV is its windows, equal weights (CVs have no boilerplate to speak of).

All pieces of a batch are encoded in one call, so the embedder's batching by length works
across texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from embeddings.model import Embedder, Vectors
from embeddings.sections import Kind, split_sections
from embeddings.text import JobFields, TextOptions, chunk_words, clean, cv_text, job_text


@dataclass(frozen=True)
class Piece:
    text: str
    weight: float


def job_pieces(job: JobFields, options: TextOptions | None = None) -> list[Piece]:
    """The weighted pieces a job's vector is made of (none when it has nothing to say)."""
    options = options or TextOptions()
    if options.long_text != "sections":
        return text_pieces(job_text(job, options), options)
    if not job_text(job, options):
        return []
    weights: dict[Kind, float] = {
        "core": 1.0,
        "intro": options.intro_weight,
        "boilerplate": options.boilerplate_weight,
    }
    body: list[Piece] = []
    for section in split_sections(job.description):
        body += [Piece(c, weights[section.kind]) for c in chunk_words(section.text, options)]
    body = _heaviest(body, options.max_chunks)
    head = job_text(job, TextOptions(template="title_tags")) + _place(job)
    total = sum(piece.weight for piece in body)
    if total <= 0:
        return [Piece(head, 1.0)] if head else []
    scaled = [Piece(piece.text, piece.weight / total) for piece in body if piece.weight > 0]
    return ([Piece(head, options.head_weight)] if head else []) + scaled


def cv_pieces(body: str, options: TextOptions | None = None) -> list[Piece]:
    """The weighted pieces a CV's (or a search query's) vector is made of."""
    options = options or TextOptions()
    return text_pieces(cv_text(body, options), options)


def text_pieces(text: str, options: TextOptions) -> list[Piece]:
    """A prepared text as one piece (truncate) or as equally weighted windows."""
    if not text:
        return []
    if options.long_text == "truncate":
        return [Piece(text, 1.0)]
    windows = chunk_words(text, options)
    return [Piece(window, 1.0 / len(windows)) for window in windows]


def encode_pieces(embedder: Embedder, texts: Sequence[Sequence[Piece]]) -> Vectors:
    """One unit vector per text (each must have at least one piece)."""
    if not texts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    flat = [piece.text for pieces in texts for piece in pieces]
    return pool(texts, embedder.encode(flat))


def pool(texts: Sequence[Sequence[Piece]], piece_vectors: Vectors) -> Vectors:
    """Each text's unit vector from its pieces' vectors (`piece_vectors`: one row per
    piece, texts' pieces end to end); a text without pieces gets zeros."""
    owners = np.repeat(np.arange(len(texts)), [len(pieces) for pieces in texts])
    weights = np.array([p.weight for pieces in texts for p in pieces], dtype=np.float32)
    pooled = np.zeros((len(texts), piece_vectors.shape[1]), dtype=np.float32)
    np.add.at(pooled, owners, piece_vectors * weights[:, None])
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)


def _heaviest(pieces: list[Piece], limit: int) -> list[Piece]:
    """At most `limit` pieces, the heaviest (the earliest among equals), in text order."""
    if len(pieces) <= limit:
        return pieces
    ranked = sorted(range(len(pieces)), key=lambda i: (-pieces[i].weight, i))[:limit]
    return [pieces[i] for i in sorted(ranked)]


def _place(job: JobFields) -> str:
    where = clean(job.location)
    if job.remote:
        where = f"Remote ({where})" if where else "Remote"
    return f". Location: {where}" if where else ""
