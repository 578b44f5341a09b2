"""Reasons: short, specific and true — every term and line quoted is in both texts.

A reason is found as evidence (embeddings/evidence.py) and written by PostgreSQL
(`jobmatch_reason`, migration 008), so these run both halves, as a list read does.
"""

from __future__ import annotations

import numpy as np

from embeddings.evidence import EvidenceFinder, job_key_rows, term_keys
from embeddings.reasons import TextProfile, location_fit, profile_cv, profile_job
from schema.database import Connection


def reason_for(
    conn: Connection,
    cv: TextProfile,
    job: TextProfile,
    fit: str | None = None,
    *,
    written: TextProfile | None = None,
    cv_written: TextProfile | None = None,
) -> str:
    """The reason for this pair as a list read writes it; `written` and `cv_written`:
    the job's and the CV's profiles as stored when the list is read, when they were made
    again since the run."""
    finder = EvidenceFinder(job_key_rows([job.keys]))
    (evidence,) = finder.find([term_keys(cv.keys)], np.zeros(1, int), np.zeros(1, int))
    shown, read_cv = written or job, cv_written or cv
    row = conn.execute(
        "SELECT jobmatch_reason(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            int(evidence),
            fit,
            shown.keys,
            list(shown.shown),
            shown.quote_text,
            list(shown.quote_starts),
            list(shown.quote_ends),
            read_cv.keys,
            read_cv.quote_text,
            list(read_cv.quote_starts),
            list(read_cv.quote_ends),
        ),
    ).fetchone()
    assert row is not None
    return str(row[0])


CV = """Jane Doe — backend engineer
Six years building data pipelines in Python with Airflow and Kafka.
Designed PostgreSQL schemas for billing at Acme.
Skills: Python, Django, PostgreSQL, Docker, Kubernetes"""

JOB_DESCRIPTION = """We are looking for a backend engineer to join our platform team.
You will write Python services on PostgreSQL and run them on Kubernetes.
Experience with Kafka is a plus."""


def test_reason_names_shared_skills_and_quotes_matching_lines(conn: Connection) -> None:
    cv = profile_cv(CV)
    job = profile_job("Backend Engineer (Python)", ["python", "postgresql"], JOB_DESCRIPTION)
    reason = reason_for(conn, cv, job, location_fit("Berlin", True, [], False))
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


def test_every_shared_term_is_in_both_texts(conn: Connection) -> None:
    cv = profile_cv(CV)
    job = profile_job("Data Engineer", ["airflow", "spark"], "Pipelines with Airflow and Docker.")
    shared = reason_for(conn, cv, job).split(" · ")[0].removeprefix("You share ").split(", ")
    assert shared
    for term in shared:
        assert term.lower() in CV.lower()
        assert term.lower() in "data engineer airflow spark pipelines with airflow and docker."


def test_no_shared_terms_says_so_without_inventing(conn: Connection) -> None:
    reason = reason_for(
        conn, profile_cv("Pastry chef, croissants"), profile_job("Welder", [], "Steel")
    )
    assert "no exact terms in common" in reason


def test_location_fit() -> None:
    assert location_fit("Berlin, Germany", False, ["berlin"], False) == (
        "in Berlin, Germany (you asked for berlin)"
    )
    assert location_fit("Paris", False, ["Berlin"], False) is None
    assert location_fit("", True, [], True) == "remote, as you asked"


def test_long_lines_are_cut_around_the_term(conn: Connection) -> None:
    long_line = "x" * 200 + " Rust systems programming " + "y" * 200
    reason = reason_for(conn, profile_cv(long_line), profile_job("Rust developer", [], "Rust"))
    quoted = reason.split("your CV: “")[1].split("”")[0]
    assert "Rust" in quoted
    assert len(quoted) <= 82


def test_a_title_with_line_breaks_is_quoted_as_one_line(conn: Connection) -> None:
    job = profile_job("Rust\nengineer", ["rust"], "")
    reason = reason_for(conn, profile_cv("I write Rust"), job)
    assert "the job: “Rust engineer”" in reason


def test_a_profile_made_again_since_the_run_says_no_more_than_the_score(
    conn: Connection,
) -> None:
    cv = profile_cv("I write Rust and Kafka")
    before = profile_job("Rust engineer", ["rust"], "Rust services")
    after = profile_job("Kafka engineer", ["kafka"], "Kafka streams")
    assert reason_for(conn, cv, before).startswith("You share Rust")
    # The evidence names the old first term; the new profile's does not match its check.
    assert reason_for(conn, cv, before, "remote", written=after) == (
        "Similar in meaning to your CV overall · Remote"
    )
    # The same for the CV: its quoted term is now another one (or out of range).
    for remade in ("Kafka first, then Rust", "Go"):
        assert reason_for(conn, cv, before, cv_written=profile_cv(remade)) == (
            "Similar in meaning to your CV overall"
        )


def test_at_most_four_terms_are_named_in_the_job_s_rank_order(conn: Connection) -> None:
    cv = profile_cv("Python Django PostgreSQL Docker Kubernetes Kafka")
    job = profile_job("Engineer", ["kafka", "docker", "python", "django", "postgresql"], "")
    assert reason_for(conn, cv, job).startswith("You share kafka, docker, python, django · ")


def test_quotes_with_non_ascii_text_are_cut_whole(conn: Connection) -> None:
    # Quotes are cut out of UTF-8 bytes by offsets: multi-byte characters before, in
    # and after a quote must survive.
    cv = profile_cv("Ärger — née Müller\nRust über alles, 日本語 too\nKafka à la carte")
    job = profile_job(
        "Rust-Entwickler in Zürich", ["kafka", "rust"], "Kafka für alle. Rust überall."
    )
    reason = reason_for(conn, cv, job)
    assert reason == (
        "You share Kafka, Rust · your CV: “Kafka à la carte” ↔ the job: “Kafka für alle.”"
    )


def test_german_words_are_whole_terms_and_function_words_are_not_skills(
    conn: Connection,
) -> None:
    cv = profile_cv("Ich bin Führungskraft für Buchhaltung und DATEV. We're fluent in SAP.")
    job = profile_job(
        "Führungskraft Buchhaltung (m/w/d)",
        [],
        "Wir suchen eine Persönlichkeit für unser Team, die DATEV und SAP kennt.",
    )
    assert {"führungskraft", "buchhaltung", "persönlichkeit", "datev", "sap"} <= set(job.terms)
    # Fragments of words cut at non-ASCII letters, German function words, and what is left
    # of "we're": none is a term.
    for noise in ("hrungskr", "nlichkeit", "für", "und", "wir", "die", "re"):
        assert noise not in job.terms
        assert noise not in cv.terms
    reason = reason_for(conn, cv, job)
    assert reason.startswith("You share Führungskraft, Buchhaltung, DATEV, SAP")
