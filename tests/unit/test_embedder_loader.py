"""Loading models: a model not on this machine fails with a fix, never a download."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from embeddings.loader import (
    ModelUnavailableError,
    canonical_name,
    load_embedder,
    looks_like_path,
    resolve_model,
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any attempt to open a connection is recorded and refused (a tripwire, not a fake)."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network access attempted during an offline model load")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_a_model_not_available_offline_fails_with_how_to_provide_it(
    no_network: list[object],
) -> None:
    with pytest.raises(ModelUnavailableError) as caught:
        load_embedder("someone/not-a-model-on-this-machine", backend="torch")
    message = str(caught.value)
    assert "not available offline" in message
    assert "JOBMATCH_MODEL" in message
    assert "never downloads" in message
    assert no_network == []


def test_a_folder_without_a_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    with pytest.raises(ModelUnavailableError, match="no sentence-transformers model"):
        load_embedder(str(tmp_path))


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown backend 'gpu-magic'"):
        load_embedder("sentence-transformers/all-MiniLM-L6-v2", backend="gpu-magic")


def test_the_bundled_model_resolves_to_the_wheels_folder() -> None:
    folder = Path(resolve_model("sentence-transformers/all-MiniLM-L6-v2"))
    assert (folder / "modules.json").exists()
    assert resolve_model("all-MiniLM-L6-v2") == str(folder)


def test_a_folder_has_one_name_by_any_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "models" / "mine"
    folder.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    absolute = str(folder.resolve())
    for spelling in ("models/mine", "./models/mine", "models/mine/", "./models/../models/mine"):
        assert canonical_name(spelling) == absolute, spelling
    assert canonical_name(absolute) == absolute
    assert canonical_name("bundled") == canonical_name("all-MiniLM-L6-v2")
    assert canonical_name("owner/model") == "owner/model"  # a hub name stays one


def test_what_can_only_be_a_path_is_one() -> None:
    for path in ("/abs/m", "./m", "../m", "~/m", "a/b/c", "m/", "."):
        assert looks_like_path(path), path
    for hub in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        assert not looks_like_path(hub), hub
