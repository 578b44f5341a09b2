"""The web search page shows one job per repost group, and it and the job page say where
else the job is posted; a repost's page links the main posting."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from schema.database import connect
from schema.queries.reposts import write_duplicates
from tests.web.helpers import job_ids, sign_up


def test_search_shows_the_canonical_job_and_links_the_repost(
    demo: TestClient[Any], db_url: str
) -> None:
    sign_up(demo, "ada@example.com")
    first, second, *_ = job_ids(demo.get("/search", params={"q": "designer"}).text)
    with connect(db_url) as conn:
        conn.execute(
            "UPDATE jobs SET source = 'agency', url = 'https://agency.example/copy'"
            " WHERE id = %(id)s",
            {"id": second},
        )
        write_duplicates(conn, {second: first})
        conn.commit()
    page = demo.get("/search", params={"q": "designer"}).text
    ids = job_ids(page)
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
