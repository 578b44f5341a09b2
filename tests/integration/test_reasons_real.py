"""Reasons on real postings and real CVs: every term named is in both texts (the CV may
write it in the singular where the job writes the plural, or the other way round), and
every quote is literally in its text."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest

from embeddings.plurals import singular
from embeddings.reasons import profile_cv, profile_job
from schema.database import Connection
from tests.integration.test_reasons import reason_for

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
JOBS = DATA / "api-responses" / "remotive-2026-07-18.json"
CVS = DATA / "resumes" / "kaggle-updated-resume-dataset.csv"

pytestmark = pytest.mark.skipif(
    not (JOBS.exists() and CVS.exists()),
    reason=f"the real data is absent (expected {JOBS} and {CVS})",
)


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "\n", markup))


def _cvs(count: int) -> list[str]:
    csv.field_size_limit(10**8)
    with CVS.open(encoding="utf-8") as handle:
        bodies = list(dict.fromkeys(row["Resume_str"] for row in csv.DictReader(handle)))
    return bodies[:count]


def test_real_reasons_are_true(conn: Connection) -> None:
    jobs = json.loads(JOBS.read_text(encoding="utf-8"))["jobs"][:30]
    explained = 0
    for body in _cvs(5):
        cv = profile_cv(body)
        for job in jobs:
            description = _text(job["description"])
            tags = job.get("tags") or []
            reason = reason_for(conn, cv, profile_job(job["title"], tags, description))
            job_text = f"{job['title']}\nTags: {', '.join(tags)}\n{description}".lower()
            if not reason.startswith("You share "):
                continue
            explained += 1
            shared = reason.removeprefix("You share ").split(" · ")[0].split(", ")
            assert all(term.lower() in job_text for term in shared)
            assert all(singular(term.lower()) in cv.terms for term in shared)
            cv_quote = reason.split("your CV: “")[1].split("” ↔")[0].strip("…")
            job_quote = reason.split("the job: “")[1].split("”")[0].strip("…")
            assert " ".join(cv_quote.split()) in " ".join(body.split())
            assert " ".join(job_quote.lower().split()) in " ".join(job_text.split())
            assert len(reason) < 400
    assert explained > 100
