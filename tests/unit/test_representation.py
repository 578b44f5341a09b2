"""Sections of a posting and the weighted pieces a job's and a CV's vector is made of."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embeddings.representation import cv_pieces, encode_pieces, job_pieces
from embeddings.sections import heading_kind, split_sections
from embeddings.text import TextOptions
from tests.fakes import FakeEmbedder

POSTING = """We are a friendly team building tools for gardeners.

About us
Founded in 2010, we love plants and people.

What you'll do:
- Build APIs in Python
- Run PostgreSQL in production

Requirements
- Five years of backend work

Benefits
- Free plants
We are an equal opportunity employer, regardless of race or gender."""


@dataclass
class Job:
    title: str = "Backend Engineer"
    company: str = "Acme"
    location: str = "Berlin"
    remote: bool = True
    tags: list[str] = field(default_factory=lambda: ["python", "postgres"])
    category: str | None = "Software"
    description: str = POSTING


def test_headings_are_classified_by_what_they_open() -> None:
    assert heading_kind("Requirements") == "core"
    assert heading_kind("What you'll do:") == "core"
    assert heading_kind("Deine Aufgaben") == "core"
    assert heading_kind("About the role") == "core"
    assert heading_kind("Benefits") == "boilerplate"
    assert heading_kind("What you'll get") == "boilerplate"
    assert heading_kind("About Acme Robotics") == "boilerplate"
    assert heading_kind("Über uns") == "boilerplate"
    assert heading_kind("- Build APIs in Python") is None
    assert heading_kind("We build tools for gardeners and their plants every day.") is None


def test_a_posting_splits_into_intro_core_and_boilerplate() -> None:
    kinds = [(s.kind, s.text.split()[0]) for s in split_sections(POSTING)]
    assert kinds == [
        ("intro", "We"),
        ("boilerplate", "About"),
        ("core", "What"),
        ("core", "Requirements"),
        ("boilerplate", "Benefits"),
        ("boilerplate", "We"),  # the equal-opportunity line, wherever it stands
    ]


def test_job_pieces_weigh_the_head_against_the_description() -> None:
    options = TextOptions(head_weight=0.5, intro_weight=0.5, boilerplate_weight=0.0)
    pieces = job_pieces(Job(), options)
    head, *body = pieces
    assert head.text.startswith("Backend Engineer at Acme")
    assert "Remote (Berlin)" in head.text
    assert head.weight == 0.5
    assert (
        sum(p.weight for p in body) == np.float32(1.0)
        or abs(sum(p.weight for p in body) - 1) < 1e-9
    )
    assert all("Free plants" not in p.text for p in body)  # weight 0: left out
    core = [p for p in body if "Python" in p.text or "backend" in p.text]
    intro = [p for p in body if "gardeners" in p.text]
    assert core[0].weight == 2 * intro[0].weight


def test_empty_texts_have_no_pieces_and_other_modes_are_unchanged() -> None:
    assert job_pieces(Job(title="", tags=[], description="  ", category=None)) == []
    assert cv_pieces("   ") == []
    (only,) = job_pieces(Job(), TextOptions(long_text="truncate"))
    assert only.weight == 1.0
    assert only.text.startswith("Backend Engineer at Acme. Category: Software")


def test_the_heaviest_windows_are_kept_when_a_posting_is_long() -> None:
    posting = "Benefits\n" + "perk " * 2000 + "\nRequirements\n" + "kubernetes " * 100
    options = TextOptions(max_chunks=3, boilerplate_weight=0.25)
    pieces = job_pieces(Job(description=posting), options)
    assert any("kubernetes" in p.text for p in pieces)
    assert len(pieces) == 1 + 3


def test_encoding_pools_the_weighted_pieces_into_unit_vectors() -> None:
    embedder = FakeEmbedder(dimension=32)
    vectors = encode_pieces(embedder, [job_pieces(Job()), cv_pieces("Python developer")])
    assert vectors.shape == (2, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
