"""The web search page shows one job per repost group, and it and the job page say where
else the job is posted; a repost's page links the main posting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from schema.database import connect
from schema.queries.reposts import write_duplicates
from tests.web.helpers import demo_database, sign_up, web_client


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> Any:
    demo_database(db_url, tmp_path)
    with web_client(db_url, tmp_path) as client:
        yield client


def _job_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="card" id="job-(\d+)"', html)]


def test_search_shows_the_canonical_job_and_links_the_repost(
    demo: TestClient[Any], db_url: str
) -> None:
    sign_up(demo, "ada@example.com")
    first, second, *_ = _job_ids(demo.get("/search", params={"q": "designer"}).text)
    with connect(db_url) as conn:
        conn.execute(
            "UPDATE jobs SET source = 'agency', url = 'https://agency.example/copy'"
            " WHERE id = %(id)s",
            {"id": second},
        )
        write_duplicates(conn, {second: first})
        conn.commit()
    page = demo.get("/search", params={"q": "designer"}).text
    ids = _job_ids(page)
    assert first in ids
    assert second not in ids
    assert "Also posted at" in page
    link = '<a href="https://agency.example/copy" rel="noopener nofollow">agency</a>'
    assert link in page
    canonical = demo.get(f"/jobs/{first}").text
    assert link in canonical
    assert "see the main posting" not in canonical
    repost = demo.get(f"/jobs/{second}").text
    assert f'<a href="/jobs/{first}">see the main posting</a>' in repost
