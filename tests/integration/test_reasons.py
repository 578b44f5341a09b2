"""Reasons: short, specific and true — every term named is in both texts, every line
quoted is in its text, and the parts the API returns beside the sentence agree with it.

A reason is found as evidence (embeddings/evidence.py) and written by PostgreSQL
(`jobmatch_reason` and its parts, migrations 008 and 013), so these run both halves, as a
list read does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pytest

from embeddings.evidence import EvidenceFinder, job_key_rows, term_keys
from embeddings.reasons import TextProfile, location_fit, profile_cv, profile_job
from schema.database import Connection


@dataclass(frozen=True)
class Parts:
    shared_skills: list[str]
    cv_quote: str | None
    job_quote: str | None


def evidence_for(cv: TextProfile, job: TextProfile, catalog: Sequence[TextProfile] = ()) -> int:
    """The evidence the nightly run stores for this pair, `job` being one job of a
    catalog with `catalog`'s jobs besides."""
    finder = EvidenceFinder(job_key_rows([job.keys, *(other.keys for other in catalog)]))
    (evidence,) = finder.find([term_keys(cv.keys)], np.zeros(1, int), np.zeros(1, int))
    return int(evidence)


def reason_arguments(evidence: int, job: TextProfile, cv: TextProfile) -> dict[str, object]:
    return {
        "e": evidence,
        "jk": job.keys,
        "shown": list(job.shown),
        "jq": job.quote_text,
        "js": list(job.quote_starts),
        "je": list(job.quote_ends),
        "ck": cv.keys,
        "cq": cv.quote_text,
        "cs": list(cv.quote_starts),
        "ce": list(cv.quote_ends),
    }


def reason_for(
    conn: Connection,
    cv: TextProfile,
    job: TextProfile,
    fit: str | None = None,
    *,
    written: TextProfile | None = None,
    cv_written: TextProfile | None = None,
    catalog: Sequence[TextProfile] = (),
) -> str:
    """The reason for this pair as a list read writes it; `written` and `cv_written`:
    the job's and the CV's profiles as stored when the list is read, when they were made
    again since the run. Its parts are checked to agree with it."""
    evidence = evidence_for(cv, job, catalog)
    arguments = reason_arguments(evidence, written or job, cv_written or cv) | {"fit": fit}
    row = conn.execute(
        "SELECT jobmatch_reason(%(e)s, %(fit)s, %(jk)s, %(shown)s, %(jq)s, %(js)s, %(je)s,"
        " %(ck)s, %(cq)s, %(cs)s, %(ce)s),"
        " jobmatch_shared_skills(%(e)s, %(jk)s, %(shown)s, %(ck)s),"
        " jobmatch_match_parts(jobmatch_shared_skills(%(e)s, %(jk)s, %(shown)s, %(ck)s),"
        "  jobmatch_cv_quote(%(e)s, %(cq)s, %(cs)s, %(ce)s),"
        "  jobmatch_job_quote(%(e)s, %(jq)s, %(js)s, %(je)s))",
        arguments,
    ).fetchone()
    assert row is not None
    reason, shared, parts = cast(tuple[str, list[str], dict[str, Any]], row)
    assert parts["shared_skills"] == shared
    assert_agree(reason, Parts(**parts), fit)
    return reason


def assert_agree(reason: str, parts: Parts, fit: str | None) -> None:
    """The sentence says what its parts say, no more and no less."""
    fitting = f" · {fit[:1].upper()}{fit[1:]}" if fit else ""
    if parts.shared_skills:
        assert reason == (
            f"You share {', '.join(parts.shared_skills)} · your CV: “{parts.cv_quote}”"
            f" ↔ the job: “{parts.job_quote}”{fitting}"
        )
    else:
        assert parts.cv_quote is None
        assert parts.job_quote is None
        assert reason.startswith("Similar in meaning to your CV overall")
        assert reason.endswith(fitting)


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


def test_the_most_specific_shared_terms_come_first(conn: Connection) -> None:
    cv = profile_cv("Management of platform teams; Kubernetes and Python every day.")
    job = profile_job(
        "Engineering management", ["management", "python", "kubernetes"], "Kubernetes."
    )
    # Every job of the catalog names "management", half "python": "kubernetes" is rarest.
    catalog = [
        profile_job(f"Role {n}", ["management", *(["python"] * (n % 2))], "") for n in range(100)
    ]
    reason = reason_for(conn, cv, job, catalog=catalog)
    assert reason.startswith("You share Kubernetes, python, management · ")
    assert "your CV: “Kubernetes and Python every day.” ↔ the job: “Kubernetes.”" in reason
    # Alone, the catalog tells nothing: the job's own order (its tags first) stands.
    assert reason_for(conn, cv, job).startswith("You share management, python, Kubernetes")


def test_a_plural_in_the_job_matches_a_singular_in_the_cv(conn: Connection) -> None:
    cv = profile_cv("Engineer. I designed an API and evaluated a new technology.")
    job = profile_job("Engineers", [], "Design APIs and evaluate technologies.")
    reason = reason_for(conn, cv, job)
    assert reason.startswith("You share ")
    named = set(reason.removeprefix("You share ").split(" · ")[0].split(", "))
    assert named == {"Engineers", "APIs", "technologies"}  # as the job writes them


def test_quotes_are_cut_at_word_boundaries(conn: Connection) -> None:
    cv = profile_cv(
        "Backend engineer with six years of experience building Python services and "
        "data-heavy APIs for logistics companies in Berlin and Hamburg."
    )
    job = profile_job("Python developer", [], "")
    reason = reason_for(conn, cv, job)
    assert "your CV: “…of experience building Python services and data-heavy APIs for" in reason


@pytest.mark.parametrize(
    "body",
    [
        "Python",  # a CV of one word
        "Go, Rust",
        "",
        "私はPythonとKubernetesの経験が五年あります。",  # another language, a skill in it
        "私はソフトウェアエンジニアです。",  # another language only
        "Ingeniero de software con experiencia en sistemas distribuidos",
    ],
)
def test_awkward_cvs_get_a_reason_without_error(conn: Connection, body: str) -> None:
    job = profile_job("Backend Engineer", ["python", "kubernetes"], "Python on Kubernetes.")
    reason = reason_for(conn, profile_cv(body), job, "remote")
    assert reason.endswith(" · Remote")
    if "Python" in body:
        assert reason.startswith("You share Python")
    elif not body.startswith("Go"):
        assert reason.startswith("Similar in meaning to your CV overall, with no exact terms")


@pytest.mark.parametrize(
    ("title", "tags", "description"),
    [("Python developer", [], ""), ("", ["python"], ""), ("", [], ""), ("Developer", [], " ")],
)
def test_jobs_with_an_empty_description_get_a_reason(
    conn: Connection, title: str, tags: list[str], description: str
) -> None:
    cv = profile_cv("Python developer since 2015")
    reason = reason_for(conn, cv, profile_job(title, tags, description))
    if title or tags:
        assert reason.startswith("You share ")
    else:
        assert reason == "Similar in meaning to your CV overall, with no exact terms in common"
