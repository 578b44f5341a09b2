"""A posting found closed still shows on its job page and among saved jobs, saying so."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar.testing import TestClient

from schema.database import connect
from schema.queries.job_checks import NewCheck, record_checks
from server.web.filters import day
from tests.web.helpers import job_ids, post_form, sign_up


def _saved_card(html: str, job: int) -> str:
    """The saved page's card of `job`: from its opening to the next card."""
    cards = html.split('<li class="card" id="job-')[1:]
    (card,) = [c for c in cards if c.startswith(f'{job}"')]
    return card


def test_the_job_page_and_saved_page_say_posting_closed(demo: TestClient[Any], db_url: str) -> None:
    sign_up(demo, "ada@example.com")
    gone, still, *_ = job_ids(demo.get("/search", params={"q": "engineer"}).text)
    for job in (gone, still):
        post_form(demo, f"/jobs/{job}/save", {"next": "/saved"}, page="/saved")
    assert "Posting closed" not in demo.get(f"/jobs/{gone}").text
    closed_at = datetime.now(UTC)
    with connect(db_url) as conn:
        check = NewCheck(gone, closed_at, "closed", 404, None, "404 Not Found")
        assert record_checks(conn, [check]) == 1
        conn.commit()

    page = demo.get(f"/jobs/{gone}")
    assert page.status_code == 200
    said = f"Posting closed: the original posting was gone when we checked on {day(closed_at)}"
    assert said in page.text
    assert "Posting closed" not in demo.get(f"/jobs/{still}").text
    saved = demo.get("/saved").text
    assert set(job_ids(saved)) == {gone, still}
    assert f"posting closed {day(closed_at)}" in _saved_card(saved, gone)
    assert "posting closed" not in _saved_card(saved, still)
