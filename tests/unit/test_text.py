"""Text preparation: the job template, empty texts, windows, and chunk-and-pool."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from embeddings.representation import encode_pieces, text_pieces
from embeddings.text import (
    TextOptions,
    chunk_words,
    cv_text,
    job_text,
    model_key,
    parse_model_key,
)
from tests.fakes import FakeEmbedder


@dataclass
class Job:
    title: str = "Backend Engineer"
    company: str = "Acme"
    location: str = "Berlin"
    remote: bool = False
    tags: list[str] = field(default_factory=lambda: ["python", "postgres"])
    category: str | None = "Software"
    description: str = "Build   APIs.\n\nShip often."


def test_job_text_puts_what_identifies_the_job_first() -> None:
    text = job_text(Job())
    assert text.startswith("Backend Engineer at Acme")
    assert text.index("Skills: python, postgres") < text.index("Build APIs. Ship often.")
    assert "Location: Berlin" in text
    assert "  " not in text
    assert "\n" not in text


def test_remote_jobs_say_so() -> None:
    assert "Location: Remote (Worldwide)" in job_text(Job(remote=True, location="Worldwide"))
    assert "Location: Remote." in job_text(Job(remote=True, location=""))


def test_templates_choose_fields() -> None:
    short = job_text(Job(), TextOptions(template="title_tags"))
    assert "Skills: python, postgres" in short
    assert "Build APIs" not in short
    assert job_text(Job(), TextOptions(template="description")) == "Build APIs. Ship often."


@pytest.mark.parametrize("blank", ["", "   ", "\n\t \n"])
def test_blank_jobs_and_cvs_prepare_to_empty(blank: str) -> None:
    assert job_text(Job(title=blank, tags=[], description=blank, company="Acme")) == ""
    assert cv_text(blank) == ""


def test_windows_overlap_cover_the_text_and_stop_at_the_cap() -> None:
    words = [f"w{i}" for i in range(1000)]
    options = TextOptions(chunk_words=100, chunk_overlap=20, max_chunks=50)
    chunks = chunk_words(" ".join(words), options)
    assert chunks[0].split() == words[:100]
    assert chunks[1].split()[:20] == words[80:100]
    assert chunks[-1].split()[-1] == "w999"
    capped = chunk_words(" ".join(words), TextOptions(chunk_words=100, chunk_overlap=20))
    assert len(capped) == 8
    assert chunk_words("just a few words", options) == ["just a few words"]


def test_chunking_lets_the_tail_of_a_long_text_count() -> None:
    embedder = FakeEmbedder(dimension=64)
    head = " ".join(["kitchen chef cooking menu"] * 60)
    tail = " ".join(["kubernetes terraform cloud infrastructure"] * 60)
    text = f"{head} {tail}"
    truncate, chunk = TextOptions(long_text="truncate"), TextOptions(long_text="chunk")
    truncated = encode_pieces(embedder, [text_pieces(text[: len(head)], truncate)])
    chunked = encode_pieces(embedder, [text_pieces(text, chunk)])
    topic = embedder.encode([tail])
    assert float(chunked[0] @ topic[0]) > float(truncated[0] @ topic[0]) + 0.2
    assert np.isclose(np.linalg.norm(chunked[0]), 1.0, atol=1e-5)


def test_short_texts_embed_alike_whether_chunked_or_truncated() -> None:
    embedder = FakeEmbedder()
    texts = ["python developer", "registered nurse"]
    a = encode_pieces(embedder, [text_pieces(t, TextOptions(long_text="truncate")) for t in texts])
    b = encode_pieces(embedder, [text_pieces(t, TextOptions(long_text="chunk")) for t in texts])
    assert np.allclose(a, b, atol=1e-6)


def test_options_are_validated_and_named() -> None:
    with pytest.raises(ValueError, match="long_text"):
        TextOptions(long_text="summarise")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_overlap"):
        TextOptions(chunk_words=10, chunk_overlap=10)
    assert model_key("m", TextOptions()) == "m"
    assert model_key("m", TextOptions(long_text="chunk")) == "m [full+chunk160/32x8]"
    assert model_key("m", TextOptions(long_text="truncate")) == "m [full+truncate]"
    heavy_head = TextOptions(head_weight=2.0)
    assert model_key("m", heavy_head) == "m [full+sections160/32x8h2i0.5b0.25]"


@pytest.mark.parametrize(
    "options",
    [
        TextOptions(),
        TextOptions(long_text="chunk"),
        TextOptions(long_text="truncate"),
        TextOptions(head_weight=1.0, intro_weight=0.75, boilerplate_weight=0.0),
        TextOptions(template="title_tags"),
        TextOptions(template="description", long_text="chunk", chunk_words=90, chunk_overlap=10),
    ],
)
def test_parse_model_key_inverts_model_key(options: TextOptions) -> None:
    for name in ("sentence-transformers/all-MiniLM-L6-v2", "/models/my model [v2]"):
        assert parse_model_key(model_key(name, options)) == (name, options)
