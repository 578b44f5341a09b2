"""What the feed and digest tests start from: the demo's people with their stored lists."""

from __future__ import annotations

from pathlib import Path

from server.demo import DemoLoad, embed_and_recommend, load_demo
from tests.fakes import FakeEmbedder
from workers.pipelines.serving import Embedders

FROM = "jobmatch <digest@jobmatch.test>"
PUBLIC = "https://jobs.example.org"


def fake_embedders(home: Path) -> Embedders:
    return Embedders("fake", home / "models", fixed=FakeEmbedder())


def demo_with_lists(url: str, home: Path) -> DemoLoad:
    """The demo's jobs and three people, each with a stored list (fake embedder)."""
    loaded = load_demo(url)
    embed_and_recommend(url, fake_embedders(home), say=lambda _: None)
    return loaded
