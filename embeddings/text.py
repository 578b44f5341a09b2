"""What the model reads: job and CV text preparation in one place, and long-text handling.

The bundled model (all-MiniLM-L6-v2) reads at most 256 word pieces and silently drops the
rest. `TextOptions.long_text` chooses how longer texts count (`embeddings.representation`
turns a text into weighted pieces and one vector):

- ``sections`` (the default): a job is its head (title, company, category, tags, place)
  weighed against its description, cut into sections by their headings
  (`embeddings.sections`) and into windows, with introduction and boilerplate sections
  weighing less than those describing the work; a CV is the mean of its windows. The
  weights were chosen on the judged set (docs/evaluation.md).
- ``chunk``: the text is cut into windows of `chunk_words` words (overlapping by
  `chunk_overlap`) and its vector is the renormalised mean of theirs (at most
  `max_chunks` windows, so a huge CV costs a bounded amount).
- ``truncate``: the model sees the first 256 word pieces of the prepared text.

Windows are cut by words, not word pieces, so the same code works for any model (and for
the test fake): 160 English words are about 200-230 word pieces, under the 256 limit;
text in other languages or with many rare words splits into more pieces, and the model
then truncates the window's tail, which loses only that window's last words.

Vectors made under different options are not comparable as the same set: `model_key`
names a set by model and options, so a researcher can keep several side by side.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

LongText = Literal["truncate", "chunk", "sections"]
Template = Literal["full", "title_tags", "description"]
LONG_TEXT_CHOICES: tuple[LongText, ...] = ("truncate", "chunk", "sections")
TEMPLATE_CHOICES: tuple[Template, ...] = ("full", "title_tags", "description")

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class TextOptions:
    """How jobs and CVs become model input; the defaults are the product's choice."""

    template: Template = "full"
    long_text: LongText = "sections"
    chunk_words: int = 160
    chunk_overlap: int = 32
    max_chunks: int = 8
    # `sections` only: the weight of a job's head (title, company, category, tags) against
    # its whole description, and of introduction and boilerplate sections against the
    # sections that describe the work (embeddings/sections.py).
    head_weight: float = 0.5
    intro_weight: float = 0.5
    boilerplate_weight: float = 0.25

    def __post_init__(self) -> None:
        if self.template not in TEMPLATE_CHOICES:
            raise ValueError(f"template must be one of {TEMPLATE_CHOICES}, got {self.template!r}")
        if self.long_text not in LONG_TEXT_CHOICES:
            raise ValueError(
                f"long_text must be one of {LONG_TEXT_CHOICES}, got {self.long_text!r}"
            )
        if not 0 <= self.chunk_overlap < self.chunk_words or self.max_chunks < 1:
            raise ValueError("need 0 <= chunk_overlap < chunk_words and max_chunks >= 1")

    @property
    def is_default(self) -> bool:
        return self == TextOptions()

    @property
    def signature(self) -> str:
        """A short stable name of these options, e.g. ``full+chunk160/32x8``."""
        if self.long_text == "truncate":
            return f"{self.template}+truncate"
        windows = f"{self.chunk_words}/{self.chunk_overlap}x{self.max_chunks}"
        if self.long_text == "chunk":
            return f"{self.template}+chunk{windows}"
        weights = f"h{self.head_weight:g}i{self.intro_weight:g}b{self.boilerplate_weight:g}"
        return f"{self.template}+sections{windows}{weights}"


class JobFields(Protocol):
    """The job columns the template reads (any row object with these attributes)."""

    @property
    def title(self) -> str: ...
    @property
    def company(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def remote(self) -> bool: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def category(self) -> str | None: ...
    @property
    def description(self) -> str: ...


def model_key(model_name: str, options: TextOptions) -> str:
    """The name a vector set is stored under: the model, plus the options if not default."""
    return model_name if options.is_default else f"{model_name} [{options.signature}]"


_KEY = re.compile(
    r"(?P<model>.+) \[(?P<template>\w+)\+"
    r"(?:truncate|(?P<mode>chunk|sections)(?P<words>\d+)/(?P<overlap>\d+)x(?P<max>\d+)"
    r"(?:h(?P<head>[\d.]+)i(?P<intro>[\d.]+)b(?P<boiler>[\d.]+))?)\]"
)


def parse_model_key(key: str) -> tuple[str, TextOptions]:
    """The model name and text options a stored set was made with (inverse of `model_key`)."""
    match = _KEY.fullmatch(key)
    if match is None or match["template"] not in TEMPLATE_CHOICES:
        return key, TextOptions()
    template = match["template"]
    if match["mode"] is None:
        return match["model"], TextOptions(template=template, long_text="truncate")
    chunked = TextOptions(
        template=template,
        long_text="chunk",
        chunk_words=int(match["words"]),
        chunk_overlap=int(match["overlap"]),
        max_chunks=int(match["max"]),
    )
    if match["mode"] == "chunk":
        return match["model"], chunked
    return match["model"], replace(
        chunked,
        long_text="sections",
        head_weight=float(match["head"] or 1),
        intro_weight=float(match["intro"] or 1),
        boilerplate_weight=float(match["boiler"] or 1),
    )


def clean(text: str) -> str:
    """Collapse runs of whitespace; an all-whitespace text becomes empty."""
    return _SPACE.sub(" ", text).strip()


def job_text(job: JobFields, options: TextOptions | None = None) -> str:
    """The text a job is embedded from ('' when it has nothing to say)."""
    template = (options or TextOptions()).template
    title = clean(job.title)
    if template == "description":
        return clean(job.description)
    tags = ", ".join(clean(t) for t in job.tags if clean(t))
    head = [title]
    if clean(job.company):
        head.append(f"at {clean(job.company)}")
    parts = [" ".join(head) if title else ""]
    if job.category and clean(job.category):
        parts.append(f"Category: {clean(job.category)}")
    if tags:
        parts.append(f"Skills: {tags}")
    if template == "title_tags":
        return clean(". ".join(p for p in parts if p))
    where = clean(job.location)
    if job.remote:
        where = f"Remote ({where})" if where else "Remote"
    if where:
        parts.append(f"Location: {where}")
    parts.append(clean(job.description))
    # A job with no title, tags nor description is empty even if it names a company.
    if not (title or tags or clean(job.description)):
        return ""
    return clean(". ".join(p for p in parts if p))


def cv_text(body: str, options: TextOptions | None = None) -> str:
    """The text a CV is embedded from: its body, whitespace collapsed."""
    del options  # one template for CVs today; the parameter keeps call sites uniform
    return clean(body)


def chunk_words(text: str, options: TextOptions) -> list[str]:
    """`text` as overlapping windows of words (one window when it is short)."""
    words = text.split()
    if len(words) <= options.chunk_words:
        return [text]
    step = options.chunk_words - options.chunk_overlap
    chunks = []
    for start in range(0, len(words), step):
        chunks.append(" ".join(words[start : start + options.chunk_words]))
        if start + options.chunk_words >= len(words) or len(chunks) == options.max_chunks:
            break
    return chunks
