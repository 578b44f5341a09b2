"""The CV page with several named CVs: adding (and the sixth refused), choosing the
active one, renaming, deleting, viewing each CV's list, and a vote steering the list it
was cast from; another person's CV is a 404."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient

from schema.database import connect
from tests import hostile_files
from tests.web.helpers import job_ids, post_form, sign_up

BACKEND_CV = "Backend engineer: Python, Django, REST APIs on PostgreSQL, Docker, AWS."
NURSE_CV = "Registered nurse: day surgery, patient care, clinical data, pharmacy rounds."


def _cv_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="cv-item" id="cv-(\d+)"', html)]


def _add(client: TestClient[Any], name: str, text: str) -> Any:
    return post_form(client, "/cvs", {"name": name, "text": text}, page="/cv")


def test_several_cvs_each_with_its_own_list(demo: TestClient[Any], db_url: str) -> None:
    sign_up(demo, "ada@example.com")
    first = post_form(demo, "/cv", {"text": BACKEND_CV}, page="/cv")
    assert first.status_code == 200
    added = _add(demo, "nursing", NURSE_CV)
    assert added.status_code == 200
    assert "Its own list is being generated" in added.text
    assert "Your CVs (2 of 5)" in added.text
    main, nursing = _cv_ids(added.text)

    home = demo.get("/")
    assert f'href="/?cv={nursing}"' in home.text  # the choice of CV's list
    backend_list = job_ids(demo.get(f"/?cv={main}").text)
    nursing_page = demo.get(f"/?cv={nursing}")
    assert 'aria-current="page">nursing' in nursing_page.text
    nursing_list = job_ids(nursing_page.text)
    assert backend_list == job_ids(home.text)  # the active CV's list by default
    assert nursing_list
    assert nursing_list[0] != backend_list[0]

    # A vote cast on the nursing page steers the nursing list.
    post_form(demo, f"/jobs/{nursing_list[0]}/vote", {"vote": "up", "next": f"/?cv={nursing}"})
    with connect(db_url) as conn:
        vote = conn.execute(
            "SELECT named_cv_id FROM feedback WHERE job_id = %s", (nursing_list[0],)
        ).fetchone()
    assert vote == (nursing,)

    activated = post_form(demo, f"/cvs/{nursing}/activate", {}, page="/cv")
    assert "now your active one" in activated.text
    assert job_ids(demo.get("/").text)[0] == nursing_list[0]
    renamed = post_form(demo, f"/cvs/{nursing}/rename", {"name": "care"}, page="/cv")
    assert "<strong>care</strong>" in renamed.text
    deleted = post_form(demo, f"/cvs/{main}/delete", {}, page="/cv")
    assert "its list are deleted" in deleted.text
    assert _cv_ids(deleted.text) == [nursing]


def test_a_sixth_cv_and_a_used_name_are_refused_on_the_page(demo: TestClient[Any]) -> None:
    sign_up(demo, "bo@example.com")
    for n in range(5):
        assert _add(demo, f"cv {n}", f"{BACKEND_CV} Variant {n}.").status_code == 200
    sixth = _add(demo, "six", NURSE_CV)
    assert sixth.status_code == 409
    assert "You already have 5 CVs" in sixth.text
    assert "Add another CV" not in sixth.text
    taken = post_form(demo, f"/cvs/{_cv_ids(sixth.text)[1]}/rename", {"name": "cv 0"}, page="/cv")
    assert taken.status_code == 409
    assert "already have a CV named" in taken.text


def test_another_persons_cv_is_404_on_the_pages(demo: TestClient[Any]) -> None:
    sign_up(demo, "ada@example.com")
    theirs = _cv_ids(_add(demo, "backend", BACKEND_CV).text)[0]
    post_form(demo, "/signout", {}, page="/")
    sign_up(demo, "eve@example.com")
    assert demo.get(f"/?cv={theirs}").status_code == 404
    for action in ("activate", "delete"):
        assert post_form(demo, f"/cvs/{theirs}/{action}", {}, page="/cv").status_code == 404
    assert post_form(demo, f"/cvs/{theirs}/rename", {"name": "x"}, page="/cv").status_code == 404


def test_a_hostile_file_on_the_cv_page_is_a_clear_refusal_and_keeps_the_cv(
    demo: TestClient[Any],
) -> None:
    """The sandbox's "too complex" refusal reaches the page as a 422, not a server error."""
    sign_up(demo, "ada@example.com")
    assert post_form(demo, "/cv", {"text": BACKEND_CV}, page="/cv").status_code == 200
    hostile = {"file": ("cv.pdf", hostile_files.shared_stream_pdf())}
    refused = post_form(demo, "/cv", {}, page="/cv", files=hostile)
    assert refused.status_code == 422, refused.text
    assert "far more than a CV needs" in refused.text
    assert "Backend engineer: Python, Django" in demo.get("/cv").text
