"""Profiles for reasons: one term for a plural and its singular, quotes cut at word
boundaries around the term itself, and awkward texts profiled without error."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.quotes import ELLIPSIS
from embeddings.reasons import MAX_TERM_CHARS, TextProfile, _lines, profile_cv, profile_job

DEMO_CV = Path(__file__).resolve().parents[2] / "server" / "demo_data" / "cv_backend_engineer.md"


def quotes(profile: TextProfile) -> dict[str, str]:
    """Each term's quote."""
    text = profile.quote_text
    return {
        term: text[start:end].decode()
        for term, start, end in zip(
            profile.terms, profile.quote_starts, profile.quote_ends, strict=True
        )
    }


def test_a_plural_and_its_singular_are_one_term() -> None:
    job = profile_job(
        "Senior Engineers", ["APIs"], "You will design APIs and evaluate new technologies."
    )
    cv = profile_cv("Engineer who built an API on a new technology; analyses of data.")
    assert {"engineer", "api", "technology"} <= set(job.terms) & set(cv.terms)
    assert "engineers" not in job.terms
    assert "apis" not in job.terms
    # Shown as the job writes it.
    assert job.shown[job.terms.index("api")] == "APIs"
    assert job.shown[job.terms.index("technology")] == "technologies"
    # Quoted where the job writes it, in either form.
    assert "technologies" in quotes(job)["technology"]


def test_names_ending_in_s_are_not_folded() -> None:
    job = profile_job("Platform engineer", ["Kubernetes"], "Business class process access.")
    assert {"kubernetes", "business", "class", "process", "access"} <= set(job.terms)


def test_the_demo_cv_is_quoted_from_whole_words() -> None:
    text = DEMO_CV.read_text(encoding="utf-8")
    lines = _lines(text)  # a CV's lines as profiles cut them
    for quoted in quotes(profile_cv(text)).values():
        body = quoted.removeprefix(ELLIPSIS).removesuffix(ELLIPSIS)
        line = next(line for line in lines if body in line)
        at = line.index(body)
        # A cut is marked, and falls next to a space, never inside a word.
        assert quoted.startswith(ELLIPSIS) == (at > 0)
        assert at == 0 or line[at - 1] == " "
        end = at + len(body)
        assert quoted.endswith(ELLIPSIS) == (end < len(line))
        assert end == len(line) or line[end] == " "
    assert quotes(profile_cv(text))["python"] == (
        "…with six years of experience building Python services and data-heavy APIs."
    )


def test_a_term_is_quoted_where_it_stands_as_a_word() -> None:
    # "rust" is inside "Trusted" first; the quote must hold the word "Rust".
    line = "Trusted by " + "many teams across the whole company " * 4 + "for Rust services."
    cv = profile_cv(line)
    assert "Rust services" in quotes(cv)["rust"]


def test_latin_words_in_chinese_or_japanese_text_are_terms() -> None:
    cv = profile_cv("私はPythonとKubernetesの経験が五年あります。C++も書けます。")
    assert {"python", "kubernetes", "c++"} <= set(cv.terms)
    assert all(term.isascii() for term in cv.terms)
    for term, quoted in quotes(cv).items():
        assert term in quoted.lower()


def test_a_very_long_word_is_no_term() -> None:
    blob = "a" + "b" * MAX_TERM_CHARS
    cv = profile_cv(f"Python {blob} Rust")
    assert blob not in cv.terms
    assert {"python", "rust"} <= set(cv.terms)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   \n\n\t ",
        "Python",
        "…",
        "私はソフトウェアエンジニアです。",
        "Инженер-программист, опыт работы пять лет",
        "x" * 10_000,
        "🚀🚀🚀",
    ],
)
def test_awkward_cvs_are_profiled(body: str) -> None:
    cv = profile_cv(body)
    assert len(cv.keys) == 8 * len(cv.terms)
    assert len(cv.quote_starts) == len(cv.quote_ends) == len(cv.terms)


@pytest.mark.parametrize(
    ("title", "tags", "description"),
    [
        ("", [], ""),
        ("Engineer", [], ""),
        ("Backend Engineer", ["python"], ""),
        ("", ["go"], "   "),
        ("バックエンドエンジニア", [], "Go と Kubernetes"),
    ],
)
def test_awkward_jobs_are_profiled(title: str, tags: list[str], description: str) -> None:
    job = profile_job(title, tags, description)
    assert len(job.shown) == len(job.terms)
    assert all(quoted for quoted in quotes(job).values())
