"""Hostile CV uploads through the API: a clear 4xx within seconds, the previous CV kept,
the server's memory flat; the friendly message for a body over the size limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.app import create_app
from tests import hostile_files
from tests.fakes import FakeEmbedder
from workers.settings import Settings

API = "/api/v1"


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    app = create_app(Settings(home=tmp_path), database_url=db_url, embedder=FakeEmbedder())
    with TestClient(app) as test_client:
        yield test_client


def _user(client: TestClient[Litestar]) -> dict[str, str]:
    token = client.post(f"{API}/users", json={"email": "h@example.com"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.put(f"{API}/users/me/cv", headers=headers, json={"text": "First CV"}).is_success
    return headers


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cv.pdf", hostile_files.shared_stream_pdf()),
        ("cv.docx", hostile_files.near_cap_docx()),
        ("cv.docx", hostile_files.zip_bomb_docx()),
    ],
)
def test_hostile_upload_is_refused_fast_and_keeps_the_cv(
    client: TestClient[Litestar], name: str, data: bytes
) -> None:
    headers = _user(client)
    rss_before = psutil.Process().memory_info().rss
    started = time.monotonic()
    response = client.put(f"{API}/users/me/cv", headers=headers, files={"file": (name, data)})
    assert time.monotonic() - started < 5
    assert response.status_code == 422, response.text
    assert "far more than a CV needs" in response.json()["detail"]
    assert psutil.Process().memory_info().rss - rss_before < 50 * 1024 * 1024
    assert client.get(f"{API}/users/me/cv", headers=headers).json()["text"] == "First CV"


def test_encrypted_pdf_upload_is_read(client: TestClient[Litestar]) -> None:
    headers = _user(client)
    pdf = hostile_files.encrypted_pdf("AES-256")
    response = client.put(f"{API}/users/me/cv", headers=headers, files={"file": ("cv.pdf", pdf)})
    assert response.status_code == 200, response.text
    assert response.json()["cv"]["text"].startswith("Encrypted CV")


def test_oversized_body_gets_the_friendly_message(client: TestClient[Litestar]) -> None:
    headers = _user(client)
    blob = b"a" * (6 * 1024 * 1024)
    response = client.put(f"{API}/users/me/cv", headers=headers, files={"file": ("cv.txt", blob)})
    assert response.status_code == 413
    assert response.json() == {
        "status_code": 413,
        "detail": "the file is larger than 5 MB; CVs may be at most 5 MB",
    }
    assert client.get(f"{API}/users/me/cv", headers=headers).json()["text"] == "First CV"
