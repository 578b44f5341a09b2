"""Quotes cut long lines at word boundaries, never inside a word, in any script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embeddings.quotes import ELLIPSIS, SNIPPET, UNSPACED
from embeddings.quotes import quote_around as cut

_UNSPACED_CHAR = re.compile(f"[{UNSPACED}]")


def quote(line: str, term: str, occurrence: int = 0) -> str:
    """`line` quoted around the `occurrence`-th `term` in it."""
    at = _index(line, term, occurrence)
    return cut(line, at, at + len(term))


def _index(line: str, term: str, occurrence: int) -> int:
    at = -1
    for _ in range(occurrence + 1):
        at = line.index(term, at + 1)
    return at


def _inside_a_word(line: str, at: int) -> bool:
    """Whether `at` falls between two letters or digits of one word (CJK characters are
    words of their own)."""
    if at <= 0 or at >= len(line):
        return False
    before, after = line[at - 1], line[at]
    joined = before.isalnum() and after.isalnum()
    return joined and not (_UNSPACED_CHAR.match(before) or _UNSPACED_CHAR.match(after))


def assert_well_cut(line: str, term_at: int, term: str, quoted: str) -> None:
    """The quote is a piece of `line` holding the term, "…" exactly where it was cut,
    never cut inside a word, and no longer than needed."""
    head, tail = quoted.startswith(ELLIPSIS), quoted.endswith(ELLIPSIS)
    body = quoted.removeprefix(ELLIPSIS) if head else quoted
    body = body.removesuffix(ELLIPSIS) if tail else body
    starts = [m.start() for m in re.finditer(re.escape(body), line)]
    start = max((s for s in starts if s <= term_at), default=-1)
    assert start >= 0, (line, quoted)
    end = start + len(body)
    assert end >= term_at + len(term), "the term is whole in the quote"
    assert head == (line[:start].strip() != ""), "… marks a cut at the start, only then"
    assert tail == (line[end:].strip() != ""), "… marks a cut at the end, only then"
    assert not _inside_a_word(line, start)
    assert not _inside_a_word(line, end)
    assert len(body) <= max(SNIPPET, len(term))
    if len(line) <= SNIPPET:
        assert quoted == line


LONG = (
    "Backend engineer with six years of experience building Python services and "
    "data-heavy APIs for logistics companies in Berlin and Hamburg."
)


def test_a_short_line_is_quoted_whole() -> None:
    assert quote("Python and Kafka", "Kafka") == "Python and Kafka"
    assert quote("x" * SNIPPET, "x") == "x" * SNIPPET


def test_a_long_line_is_cut_between_words() -> None:
    quoted = quote(LONG, "Python")
    assert quoted == "…of experience building Python services and data-heavy APIs for logistics…"
    assert_well_cut(LONG, LONG.index("Python"), "Python", quoted)


@pytest.mark.parametrize("term", ["Backend", "Hamburg"])
def test_a_term_at_the_start_or_end_of_the_line_needs_no_ellipsis_there(term: str) -> None:
    quoted = quote(LONG, term)
    assert_well_cut(LONG, LONG.index(term), term, quoted)
    if term == "Backend":
        assert quoted.startswith("Backend engineer")
        assert quoted.endswith(ELLIPSIS)
    else:
        assert quoted.endswith("Berlin and Hamburg.")
        assert quoted.startswith(ELLIPSIS)


def test_no_separator_is_left_dangling_at_a_cut() -> None:
    line = "Tools: " + ", ".join(["Python", "Django", "Flask", "FastAPI", "Celery"] * 6)
    for occurrence in range(6):
        quoted = quote(line, "Celery", occurrence)
        assert not quoted.endswith((",…", ", …"))
        assert not quoted.startswith(("…,", "… "))
        assert_well_cut(line, _index(line, "Celery", occurrence), "Celery", quoted)


@pytest.mark.parametrize(
    ("line", "term"),
    [
        # Accented letters, German compounds, Cyrillic, Greek: cut at spaces only.
        (
            "Wir suchen eine Softwareentwicklungsingenieurin für unsere Zahlungsverkehrs"
            "plattform in Zürich, die Kubernetes-Cluster betreibt und Rechenzentren plant.",
            "Kubernetes",
        ),
        ("Ведущий инженер-программист " * 4 + "Python " + "разработка сервисов " * 4, "Python"),
        ("Μηχανικός λογισμικού με εμπειρία " * 3 + "Rust" + " και συστήματα " * 5, "Rust"),
        # Chinese and Japanese, written without spaces: any character may end a quote.
        (
            "我们正在寻找一名有五年经验的后端工程师" * 3 + "Python" + "熟悉分布式系统和云平台" * 4,
            "Python",
        ),
        (
            "私たちはクラウドネイティブな開発チームです" * 3
            + "Kubernetes"
            + "の運用経験がある方" * 5,
            "Kubernetes",
        ),
        # Emoji and symbols.
        ("🚀 We ship fast 🚀 " * 5 + "TypeScript" + " ✨ every day ✨ " * 5, "TypeScript"),
    ],
)
def test_scripts_and_symbols(line: str, term: str) -> None:
    quoted = quote(line, term)
    assert term in quoted
    assert_well_cut(line, line.index(term), term, quoted)


def test_a_long_url_is_cut_at_its_punctuation_not_inside_a_word() -> None:
    url = "https://github.com/acme-platform/infrastructure/tree/main/deploy/kubernetes/overlays"
    line = f"See {url}/production-environment-configuration-files for the setup we run."
    quoted = quote(line, "kubernetes")
    assert "kubernetes" in quoted
    assert_well_cut(line, line.index("kubernetes"), "kubernetes", quoted)


def test_a_term_between_two_very_long_words_is_kept_whole() -> None:
    line = "a" * 120 + " Rust " + "b" * 120
    assert quote(line, "Rust") == "…Rust…"
    glued = "x" * 100 + "/Rust/" + "y" * 100
    assert quote(glued, "Rust") == "…/Rust/…"


def test_a_term_longer_than_a_quote_is_quoted_whole() -> None:
    term = "Supercalifragilistic" * 5
    line = f"intro words here {term} and more words after it " * 2
    quoted = quote(line, term)
    assert term in quoted
    assert_well_cut(line, line.index(term), term, quoted)


def test_combining_marks_stay_on_their_letter() -> None:
    # A long run with no spaces, letters followed by combining accents (NFD).
    word = "e\u0301" * 60
    line = word + "Rust" + word
    quoted = quote(line, "Rust")
    body = quoted.strip(ELLIPSIS)
    assert not body.startswith("\u0301")
    assert "Rust" in body


_WORDS = st.one_of(
    st.sampled_from(["Python", "Kubernetes", "Führungskraft", "日本語", "C++", "node.js", "—"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30),
    st.text("abcdefghij", min_size=40, max_size=150),
)


@given(
    before=st.lists(_WORDS, max_size=25),
    after=st.lists(_WORDS, max_size=25),
    separator=st.sampled_from([" ", ", ", " / ", "\t", "\u00a0", "・"]),
)
def test_any_line_is_cut_well_around_any_term(
    before: list[str], after: list[str], separator: str
) -> None:
    term = "Kafka"
    line = separator.join([*before, term, *after]).strip()
    term_at = len(separator.join([*before, ""]).lstrip()) if before else 0
    if line[term_at : term_at + len(term)] != term:
        term_at = line.index(term)
    quoted = cut(line, term_at, term_at + len(term))
    if ELLIPSIS in line:
        assert term in quoted  # the marks cannot be told from the text's own
        return
    assert_well_cut(line, term_at, term, quoted)


SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
POSTINGS = SHARED / "api-responses" / "remotive-2026-07-18.json"


@pytest.mark.skipif(not POSTINGS.exists(), reason=f"the real data is absent ({POSTINGS})")
def test_every_word_of_real_postings_is_quoted_well() -> None:
    import html
    import json

    jobs = json.loads(POSTINGS.read_text(encoding="utf-8"))["jobs"][:60]
    lines = [
        line.strip()
        for job in jobs
        for line in html.unescape(re.sub(r"<[^>]+>", "\n", job["description"])).splitlines()
        if len(line.strip()) > SNIPPET and ELLIPSIS not in line
    ]
    assert len(lines) > 100
    checked = 0
    for line in lines:
        for word in re.finditer(r"[^\W\d_]\w*", line):
            quoted = cut(line, word.start(), word.end())
            assert_well_cut(line, word.start(), word.group(), quoted)
            checked += 1
    assert checked > 10_000
