"""A posting's description cut into sections, each weighted by what it says about the job.

Postings open with the company's story and close with perks, legal text and how to apply;
what the person would do and must bring sits in between. The sections are found by their
headings ("Requirements", "What you'll do", "Dein Profil", "Benefits", "About us", …):
a heading is a short line, usually ending with a colon, whose words name a kind of
section. Text before the first heading is an introduction. Lines that are boilerplate
wherever they stand (equal-opportunity statements) are dropped into that kind too.

Only structure and the kinds of headings are read, never the job's field: a nurse's
posting and a developer's are cut by the same rules, in English and German.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["intro", "core", "boilerplate"]

_CORE = re.compile(
    r"\b(requirements?|qualifications?|skills?|responsibilit|duties|what you('ll| will)|"
    r"you (will|have|bring|are)|your (role|tasks|profile|responsibilit|impact|mission)|"
    r"the role|role overview|about (the )?(role|job|position|you)|the position|"
    r"job description|"
    r"what we('re| are) looking for|who you are|must.have|nice.to.have|bonus points|"
    r"tech stack|experience|expectations|day.to.day|in this role|key|essential|"
    r"aufgaben|profil|anforderungen|qualifikation|mitbringst|erwartet dich|"
    r"deine rolle|ihre rolle|das bringst du|kenntnisse|tätigkeit)",
    re.IGNORECASE,
)
# Headings that are boilerplate even when they share a word with a core one
# ("What you'll get"), checked first; then core; then the weaker boilerplate ones.
_PERKS = re.compile(
    r"\b(benefits|perks|what we offer|we offer|what you('ll| will) get|in return|"
    r"compensation|salary|equal (opportunity|employment)|how to apply|about us|"
    r"über uns|wir bieten|was wir bieten|unser angebot|das bieten wir|bewerbung)",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"\b(about|who we are|our (story|mission|company|culture|values|team)|why (join|work)|"
    r"diversity|inclusion|apply|application process|interview process|privacy|"
    r"disclaimer|kontakt|wer wir sind)",
    re.IGNORECASE,
)
# Sentences that are boilerplate wherever they stand.
_LEGAL = re.compile(
    r"equal opportunity|regardless of (race|gender|age)|without regard to|"
    r"reasonable accommodation|e-verify|background check|chancengleichheit",
    re.IGNORECASE,
)
# "About <the company>" is its story; "About the role" and "About you" are the job.
_ABOUT_COMPANY = re.compile(r"^(now,? )?about (?!(the )?(role|job|position|you)\b)", re.IGNORECASE)
_MAX_HEADING_WORDS = 8
_BULLETS = ("-", "•", "·", "*", "–")


@dataclass(frozen=True)
class Section:
    kind: Kind
    text: str


def _looks_like_heading(line: str) -> bool:
    """A short line, not a list item nor a sentence, or one ending with a colon."""
    words = line.split()
    if not words or len(words) > _MAX_HEADING_WORDS or line.startswith(_BULLETS):
        return False
    return (line.endswith(":") or len(words) <= 5) and not line.endswith((".", ","))


def heading_kind(line: str) -> Kind | None:
    """The kind of section `line` opens, or None when it is not a heading."""
    stripped = line.strip()
    if stripped.startswith(_BULLETS):
        return None
    stripped = stripped.strip("#").strip()
    if not _looks_like_heading(stripped):
        return None
    if _PERKS.search(stripped) or _ABOUT_COMPANY.search(stripped):
        return "boilerplate"
    if _CORE.search(stripped):
        return "core"
    if _BOILERPLATE.search(stripped):
        return "boilerplate"
    return None


def split_sections(description: str) -> list[Section]:
    """`description` as consecutive sections (empty ones left out), in order."""
    sections: list[Section] = []
    kind: Kind = "intro"
    lines: list[str] = []

    def close() -> None:
        text = " ".join(" ".join(lines).split())
        if text:
            sections.append(Section(kind, text))
        lines.clear()

    for line in description.splitlines():
        opened = heading_kind(line)
        if opened is not None:
            close()
            kind = opened
            lines.append(line)
        elif _LEGAL.search(line):
            close()
            sections.append(Section("boilerplate", " ".join(line.split())))
        else:
            lines.append(line)
    close()
    return sections
