"""Reposts: near-duplicate postings of one company collapse into one job.

Exact duplicates (same normalised company and title, migration 002) collapse at ingest.
A repost rewords its title or text a little (the same role posted again, or an agency's
copy), so it is found here instead, after embedding: two postings are one job when

- their companies are one company (`company_key`, the company half of the dedupe key),
- their places may be the same (`location_key`; '' is anywhere),
- their job vectors, under one model, have cosine similarity ≥ `threshold`, and
- their titles agree (`titles_agree`): the same seniority and level words, and every
  role word of the shorter title in the longer. The vectors alone merge a company's one
  template text posted per city, team or level, which are different jobs.

Clusters are stars, never chains: postings are taken in canonical order (earliest posted,
then the longest description, then the lowest id) and each joins the first head it is a
repost of, else becomes a head. Every duplicate is thus a repost of its canonical job
itself, and a head stays the head as later reposts arrive. The threshold was chosen by
reading real pairs (eval/reposts/README.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

DEFAULT_THRESHOLD = 0.96

_LEGAL_FORMS = re.compile(r"\b(inc|llc|ltd|limited|gmbh|ag|corp|corporation|co|plc|sa|bv|srl|se)\b")
_GENDER_MARKER = re.compile(r"\b(m|w|f|d|x) (w|m|f|d|x)( (d|x|m|w|f))?\b")
_NON_WORD = re.compile(r"[^\w]+|_+")
_ANYWHERE = {"", "remote", "worldwide", "anywhere", "global"}

# Words that make two otherwise equal titles different jobs when only one has them.
SENIORITY = {
    "senior": "senior", "sr": "senior", "junior": "junior", "jr": "junior",
    "lead": "lead", "principal": "principal", "staff": "staff", "head": "head",
    "chief": "chief", "director": "director", "intern": "intern", "internship": "intern",
    "trainee": "trainee", "apprentice": "trainee", "werkstudent": "student",
    "student": "student", "praktikant": "intern", "praktikum": "intern",
    "associate": "associate", "assistant": "assistant", "entry": "entry", "mid": "mid",
    "i": "1", "ii": "2", "iii": "3", "iv": "4", "1": "1", "2": "2", "3": "3", "4": "4",
}  # fmt: skip
# Words that say nothing about the role.
_FILLER = {"and", "or", "of", "the", "a", "an", "for", "in", "at", "to", "with", "remote",
           "und", "fur", "für", "mit", "der", "die", "das", "all", "genders", "gn"}  # fmt: skip


@dataclass(frozen=True)
class Posting:
    """What the rule needs of one job (its vector is a row of a separate matrix)."""

    id: int
    company_key: str
    location_key: str
    title: str
    posted_at: datetime
    description_length: int


@dataclass(frozen=True)
class Pair:
    """Two postings of one company and their cosine similarity (a before b by id)."""

    a: int
    b: int
    similarity: float


@dataclass
class Collapse:
    """The rule's outcome: each duplicate's canonical job, and the pairs it looked at."""

    duplicate_of: dict[int, int] = field(default_factory=dict)
    pairs_considered: int = 0  # same company, compatible places, similarity ≥ threshold
    pairs_merged: int = 0  # of those, the ones whose titles agree too


def normalise(text: str) -> str:
    """Lower case, accents kept, every run of non-alphanumerics one space (as SQL's
    `jobmatch_normalise`)."""
    return _NON_WORD.sub(" ", text.lower()).strip()


def company_key(company: str) -> str:
    """The company without legal-form suffixes: the company half of the dedupe key."""
    return " ".join(_LEGAL_FORMS.sub("", normalise(company)).split())


def location_key(location: str) -> str:
    """'' for anywhere (remote, worldwide, unstated), else the normalised place."""
    place = normalise(location)
    return "" if place in _ANYWHERE else place


def places_compatible(a: str, b: str) -> bool:
    """The two location keys may name the same place ('' is anywhere; one may hold the
    other, as "berlin" and "berlin germany")."""
    return a == "" or b == "" or a in b or b in a


def title_words(title: str) -> tuple[frozenset[str], frozenset[str]]:
    """(seniority and level words, role words) of a title; gender markers dropped."""
    plain = _GENDER_MARKER.sub(" ", normalise(_fold(title)))
    words = plain.split()
    levels = frozenset(SENIORITY[w] for w in words if w in SENIORITY)
    roles = frozenset(w for w in words if w not in SENIORITY and w not in _FILLER)
    return levels, roles


def titles_agree(a: str, b: str) -> bool:
    """The same seniority and level words, and every role word of the shorter title in
    the longer one (as it is, inflected, or split: "Fullstack" is "Full Stack").

    A word the shorter title has and the longer lacks is nearly always what tells two
    jobs apart in a company's template: a team ("Karpenter" vs "Reporting"), a city
    ("(Campinas)" vs "(São Paulo)"), a shift ("Days" vs "Nights").
    """
    levels_a, roles_a = title_words(a)
    levels_b, roles_b = title_words(b)
    if levels_a != levels_b:
        return False
    shorter, longer = sorted((roles_a, roles_b), key=len)
    if not shorter:
        return not longer
    joined = _compounds(longer)
    return all(_word_in(word, longer, joined) for word in shorter)


def _compounds(words: frozenset[str]) -> set[str]:
    """Every two words of a title run together ("full" + "stack": "fullstack")."""
    return {first + second for first in words for second in words if first != second}


def _word_in(word: str, words: frozenset[str], compounds: set[str]) -> bool:
    """`word` is one of `words`, an inflection of one (a shared stem of five or more
    letters, at most two letters apart), or two of them run together."""
    if word in words or word in compounds:
        return True
    return any(_inflected(word, other) for other in words)


def _inflected(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return len(short) >= 5 and len(long) - len(short) <= 2 and long.startswith(short)


def similar_pairs(
    postings: Sequence[Posting], vectors: npt.NDArray[np.float32], threshold: float
) -> list[Pair]:
    """Pairs of one company with compatible places and cosine similarity ≥ `threshold`.

    Row i of `vectors` is posting i's vector, unit length. Only postings within one
    company are compared: one small matrix product per company, not all pairs.
    """
    pairs: list[Pair] = []
    for members in _by_company(postings).values():
        block = vectors[members]
        scores = block @ block.T
        rows, cols = np.nonzero(np.triu(scores >= threshold, k=1))
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            first, second = postings[members[r]], postings[members[c]]
            if places_compatible(first.location_key, second.location_key):
                a, b = sorted((first.id, second.id))
                pairs.append(Pair(a, b, float(scores[r, c])))
    return pairs


def collapse(
    postings: Sequence[Posting], vectors: npt.NDArray[np.float32], threshold: float
) -> Collapse:
    """Each repost's canonical job (see the module's docstring for the rule)."""
    by_id = {p.id: p for p in postings}
    pairs = similar_pairs(postings, vectors, threshold)
    merged = [p for p in pairs if titles_agree(by_id[p.a].title, by_id[p.b].title)]
    result = Collapse(pairs_considered=len(pairs), pairs_merged=len(merged))
    result.duplicate_of = star_clusters(postings, ((p.a, p.b) for p in merged))
    return result


def star_clusters(postings: Sequence[Posting], links: Iterable[tuple[int, int]]) -> dict[int, int]:
    """{duplicate id: canonical id}: in canonical order, each posting joins the first
    head it is linked to, else becomes a head itself."""
    linked: defaultdict[int, set[int]] = defaultdict(set)
    for a, b in links:
        linked[a].add(b)
        linked[b].add(a)
    ordered = sorted(postings, key=canonical_order)
    rank = {posting.id: place for place, posting in enumerate(ordered)}
    heads: set[int] = set()
    duplicate_of: dict[int, int] = {}
    for posting in ordered:
        linked_heads = linked[posting.id] & heads
        if linked_heads:
            duplicate_of[posting.id] = min(linked_heads, key=rank.__getitem__)
        else:
            heads.add(posting.id)
    return duplicate_of


def canonical_order(posting: Posting) -> tuple[datetime, int, int]:
    """Earliest posted first, then the most complete description, then the lowest id."""
    return (posting.posted_at, -posting.description_length, posting.id)


def _by_company(postings: Sequence[Posting]) -> dict[str, list[int]]:
    """Row numbers of the postings of each company that has more than one."""
    groups: defaultdict[str, list[int]] = defaultdict(list)
    for row, posting in enumerate(postings):
        if posting.company_key:
            groups[posting.company_key].append(row)
    return {key: rows for key, rows in groups.items() if len(rows) > 1}


def _fold(text: str) -> str:
    """Accents off, so "für" and "fur" are one word in titles."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
