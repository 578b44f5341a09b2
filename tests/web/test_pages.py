"""The pages over the demo data: the list and its reasons, actions, search, one job, the
CV page, isolation between people, escaping, bad uploads, admin, offline docs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from schema.database import connect
from schema.queries.accounts import account_by_email, set_admin
from tests.unit.test_uploads import make_pdf
from tests.web.helpers import job_ids, post_form, sign_up

BACKEND_CV = (
    "Backend engineer, six years of Python and Django. Built REST APIs on PostgreSQL,"
    " Docker and AWS; Celery queues; pytest."
)
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _upload(client: TestClient[Any], name: str, data: bytes, page: str = "/cv") -> Any:
    from tests.web.helpers import csrf

    return client.post(
        "/cv",
        data={"_csrf_token": csrf(client, page)},
        files={"file": (name, data, "application/octet-stream")},
    )


def test_recommended_list_with_reasons_actions_and_filters(demo: TestClient[Any]) -> None:
    sign_up(demo, "ada@example.com")
    assert "Upload your CV" in demo.get("/").text
    uploaded = _upload(demo, "cv.pdf", make_pdf(BACKEND_CV.split("; ")))
    assert uploaded.status_code == 200
    assert "Your CV is saved" in uploaded.text
    ids = job_ids(uploaded.text)
    assert len(ids) == 10
    assert "Why this match?" in uploaded.text
    assert '<li class="chip">' in uploaded.text  # the reason's parts
    assert "<mark>" in uploaded.text
    assert 'href="/?page=2"' in uploaded.text

    second = demo.get("/?page=2")
    assert set(job_ids(second.text)).isdisjoint(ids)

    hx = {"HX-Request": "true"}
    saved = post_form(demo, f"/jobs/{ids[1]}/save", {"next": "/"}, page="/", headers=hx)
    assert saved.status_code == 200
    assert "Saved" in saved.text
    assert 'aria-pressed="true"' in saved.text
    applied = post_form(demo, f"/jobs/{ids[2]}/apply", {"next": "/"}, page="/", headers=hx)
    assert "Applied" in applied.text
    down = post_form(
        demo,
        f"/jobs/{ids[0]}/vote",
        {"vote": "down", "reason": XSS, "in_list": "1"},
        page="/",
        headers=hx,
    )
    assert down.headers["hx-retarget"] == f"#job-{ids[0]}"
    assert "Hidden" in down.text
    assert ids[0] not in job_ids(demo.get("/").text)
    assert ids[1] in job_ids(demo.get("/saved").text)
    assert f"/jobs/{ids[2]}" in demo.get("/applications").text

    check_filters(demo)


def check_filters(demo: TestClient[Any]) -> None:
    """Remote, a bad minimum salary (said in the page), one that leaves nothing."""
    remote = demo.get("/?remote=yes")
    assert remote.status_code == 200
    assert "Remote" in remote.text
    bad = demo.get("/?min_salary=lots")
    assert bad.status_code == 200
    assert "must be a number" in bad.text
    rich = demo.get("/?min_salary=1000000000")
    assert "No job in your list matches these filters" in rich.text


def test_search_and_job_page(demo: TestClient[Any]) -> None:
    sign_up(demo, "ada@example.com")
    found = demo.get("/search", params={"q": "designer"})
    assert found.status_code == 200
    ids = job_ids(found.text)
    assert ids
    job = demo.get(f"/jobs/{ids[0]}")
    assert job.status_code == 200
    assert "View the original posting" in job.text
    assert "Description" in job.text
    assert demo.get("/jobs/999999999").status_code == 404
    nothing = demo.get("/search", params={"q": XSS})
    assert nothing.status_code == 200
    assert "<script>alert" not in nothing.text
    assert "&lt;script&gt;" in nothing.text


def test_escaping_of_cv_and_job_text(demo: TestClient[Any], db_url: str) -> None:
    sign_up(demo, "ada@example.com")
    with connect(db_url) as conn:
        conn.execute(
            "UPDATE jobs SET title = %(t)s, description = %(t)s, url = 'javascript:alert(1)'"
            " WHERE id = (SELECT min(id) FROM jobs)",
            {"t": XSS},
        )
        row = conn.execute("SELECT min(id) FROM jobs").fetchone()
        conn.commit()
    assert row is not None
    job = demo.get(f"/jobs/{row[0]}")
    assert job.status_code == 200
    assert "<script>alert" not in job.text
    assert "<img src=x" not in job.text
    assert "javascript:" not in job.text  # the link is not offered
    text_cv = post_form(demo, "/cv", {"text": f"Python developer {XSS}"}, page="/cv")
    assert text_cv.status_code == 200
    cv_page = demo.get("/cv")
    assert "&lt;script&gt;" in cv_page.text
    assert "<script>alert" not in cv_page.text
    assert "default-src 'self'" in cv_page.headers["content-security-policy"]


def test_bad_uploads_keep_the_old_cv(demo: TestClient[Any], db_url: str) -> None:
    sign_up(demo, "ada@example.com")
    assert _upload(demo, "cv.txt", BACKEND_CV.encode()).status_code == 200
    corrupt = _upload(demo, "cv.pdf", b"%PDF-1.4 this is not really a pdf")
    assert corrupt.status_code == 415
    assert "could not be read" in corrupt.text
    assert "Backend engineer" in corrupt.text  # the old CV is still shown
    wrong_type = _upload(demo, "cv.exe", b"MZ")
    assert wrong_type.status_code == 415
    assert "not accepted" in wrong_type.text
    huge = _upload(demo, "cv.txt", b"a" * (50 * 1024 * 1024))
    assert huge.status_code == 413
    assert "at most 5 MB" in huge.text
    with connect(db_url) as conn:
        row = conn.execute("SELECT count(*) FROM cvs").fetchone()
    assert row is not None
    assert row[0] == 3 + 1


def test_a_second_person_sees_none_of_the_first_ones(demo: TestClient[Any]) -> None:
    sign_up(demo, "ada@example.com")
    _upload(demo, "cv.txt", b"Secret CV of Ada: Python, Django, PostgreSQL.")
    ids = job_ids(demo.get("/").text)
    post_form(demo, f"/jobs/{ids[0]}/save", {"next": "/"}, page="/")
    post_form(demo, "/signout", {}, page="/")
    sign_up(demo, "bob@example.com")
    assert "Secret CV of Ada" not in demo.get("/cv").text
    assert "Upload your CV" in demo.get("/").text
    assert job_ids(demo.get("/saved").text) == []
    assert demo.get("/admin").status_code == 403


def test_admin_page_and_offline_docs(demo: TestClient[Any], db_url: str, tmp_path: Path) -> None:
    sign_up(demo, "root@example.com")
    with connect(db_url) as conn:
        account = account_by_email(conn, "root@example.com")
        assert account is not None
        set_admin(conn, account.id)
        conn.commit()
    assert "No report yet" in demo.get("/admin").text
    report_dir = tmp_path / "eval" / "20260101-000000"
    report_dir.mkdir(parents=True)
    estimate = {"mean": 0.5, "low": 0.4, "high": 0.6}
    report = {
        "generated_at": "2026-01-01T00:00:00+00:00",
        "labelled_set": {"name": "judged", "queries": 40, "documents": 300, "derived": False},
        "metrics": ["nDCG@10"],
        "systems": [{"label": "bm25 <b>", "metrics": {"nDCG@10": estimate}}],
    }
    (report_dir / "report.json").write_text(json.dumps(report))
    (report_dir / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    page = demo.get("/admin")
    assert page.status_code == 200
    for heading in ("Task runs", "Models", "Rows", "Last evaluation", "A/B test report"):
        assert heading in page.text
    assert "active" in page.text
    assert "bm25 &lt;b&gt;" in page.text
    assert "0.500" in page.text
    assert demo.get("/admin/eval-chart.png").headers["content-type"] == "image/png"

    docs = demo.get("/schema")
    assert docs.status_code == 200
    assert "http" not in re.sub(r"https?://(127\.0\.0\.1|localhost)", "", _assets(docs.text))
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', docs.text):
        assert demo.get(asset).status_code == 200, asset
    for asset in ("/static/htmx.min.js", "/static/app.css", "/static/icons.svg"):
        assert demo.get(asset).status_code == 200


def _assets(html: str) -> str:
    """The src and href values of a page."""
    return " ".join(re.findall(r'(?:src|href)=["\']([^"\']+)["\']', html))


def test_preferences_page(demo: TestClient[Any], db_url: str) -> None:
    sign_up(demo, "ada@example.com")
    saved = post_form(
        demo,
        "/preferences",
        {"locations": "Berlin, Lisbon, Berlin", "remote_only": "on", "min_salary": "50,000"},
        page="/preferences",
    )
    assert saved.status_code == 200
    assert "Your preferences are saved" in saved.text
    assert 'value="Berlin, Lisbon"' in saved.text
    assert 'value="50000"' in saved.text
    bad = post_form(demo, "/preferences", {"min_salary": "a lot"}, page="/preferences")
    assert bad.status_code == 400
    assert "must be a number" in bad.text
    assert 'value="Berlin, Lisbon"' in demo.get("/preferences").text  # unchanged
