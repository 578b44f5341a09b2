"""The web tests' shared fixture: a signed-out browser on a demo database of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.web.helpers import demo_database, web_client


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> Iterator[TestClient[Any]]:
    demo_database(db_url, tmp_path)
    with web_client(db_url, tmp_path) as client:
        yield client
