"""Reasons: short, specific and true — every term and line quoted is in both texts."""

from __future__ import annotations

from embeddings.reasons import explain, from_json, location_fit, profile_cv, profile_job, to_json

CV = """Jane Doe — backend engineer
Six years building data pipelines in Python with Airflow and Kafka.
Designed PostgreSQL schemas for billing at Acme.
Skills: Python, Django, PostgreSQL, Docker, Kubernetes"""

JOB_DESCRIPTION = """We are looking for a backend engineer to join our platform team.
You will write Python services on PostgreSQL and run them on Kubernetes.
Experience with Kafka is a plus."""


def test_reason_names_shared_skills_and_quotes_matching_lines() -> None:
    cv = profile_cv(CV)
    job = profile_job("Backend Engineer (Python)", ["python", "postgresql"], JOB_DESCRIPTION)
    reason = explain(cv, job, location_fit("Berlin", True, [], False))
    assert reason.startswith("You share Python, PostgreSQL")  # tags come first
    assert "Remote" in reason
    assert "team" not in reason.split("·")[0]  # boilerplate words are not skills
    quoted_cv = reason.split("your CV: “")[1].split("”")[0].rstrip("…")
    quoted_job = reason.split("the job: “")[1].split("”")[0].rstrip("…")
    assert quoted_cv.lstrip("…") in CV
    assert (
        quoted_job.lstrip("…")
        in f"Backend Engineer (Python)\nTags: python, postgresql\n{JOB_DESCRIPTION}"
    )


def test_every_shared_term_is_in_both_texts() -> None:
    cv = profile_cv(CV)
    job = profile_job("Data Engineer", ["airflow", "spark"], "Pipelines with Airflow and Docker.")
    shared = explain(cv, job).split(" · ")[0].removeprefix("You share ").split(", ")
    assert shared
    for term in shared:
        assert term.lower() in CV.lower()
        assert term.lower() in "data engineer airflow spark pipelines with airflow and docker."


def test_no_shared_terms_says_so_without_inventing() -> None:
    reason = explain(profile_cv("Pastry chef, croissants"), profile_job("Welder", [], "Steel"))
    assert "no exact terms in common" in reason


def test_location_fit() -> None:
    assert location_fit("Berlin, Germany", False, ["berlin"], False) == (
        "in Berlin, Germany (you asked for berlin)"
    )
    assert location_fit("Paris", False, ["Berlin"], False) is None
    assert location_fit("", True, [], True) == "remote, as you asked"


def test_long_lines_are_cut_around_the_term() -> None:
    long_line = "x" * 200 + " Rust systems programming " + "y" * 200
    reason = explain(profile_cv(long_line), profile_job("Rust developer", [], "Rust"))
    quoted = reason.split("your CV: “")[1].split("”")[0]
    assert "Rust" in quoted
    assert len(quoted) <= 82


def test_a_stored_profile_explains_exactly_as_the_original() -> None:
    cv = profile_cv(CV)
    job = profile_job("Backend Engineer (Python)", ["python", "postgresql"], JOB_DESCRIPTION)
    stored_cv, stored_job = from_json(to_json(cv)), from_json(to_json(job))
    assert stored_job.terms == job.terms
    for fit in (None, "remote"):
        assert explain(stored_cv, stored_job, fit) == explain(cv, job, fit)


def test_a_title_with_line_breaks_is_quoted_as_one_line() -> None:
    # Stored lines are joined by newlines: a title's own must not split it in two.
    job = profile_job("Rust\nengineer", ["rust"], "")
    stored = from_json(to_json(job))
    reason = explain(profile_cv("I write Rust"), stored)
    assert "the job: “Rust engineer”" in reason
