"""The parts of a match reason, for the "Why this match?" panel.

A recommendation carries `match_reason`, one sentence written by PostgreSQL
(`jobmatch_reason`, migration 008): "You share a, b · your CV: “…” ↔ the job: “…” ·
Remote fits". When the list items also carry the parts as fields (`shared_terms`,
`cv_quote`, `job_quote`, `fit`), those are used; otherwise the sentence is read back
into them; a sentence of another shape is shown as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SENTENCE = re.compile(
    r"^You share (?P<terms>.+?) · your CV: “(?P<cv>.*?)” ↔ the job: “(?P<job>.*?)”"
    r"(?: · (?P<fit>.+))?$",
    re.DOTALL,
)


@dataclass(frozen=True)
class ReasonParts:
    """What the panel shows: chips, the two quotes side by side, the fit, or the sentence."""

    sentence: str
    shared_terms: list[str] = field(default_factory=list)
    cv_quote: str = ""
    job_quote: str = ""
    fit: str = ""

    @property
    def has_parts(self) -> bool:
        return bool(self.shared_terms or self.cv_quote or self.job_quote)


def reason_parts(item: Any) -> ReasonParts:
    """The parts of one recommendation item (see `server.web.lists.PageItem`)."""
    sentence = str(getattr(item, "match_reason", "") or "")
    given = getattr(item, "shared_terms", None)
    if isinstance(given, list) and given:
        return ReasonParts(
            sentence=sentence,
            shared_terms=[str(term) for term in given],
            cv_quote=str(getattr(item, "cv_quote", "") or ""),
            job_quote=str(getattr(item, "job_quote", "") or ""),
            fit=str(getattr(item, "fit", "") or ""),
        )
    return parse_sentence(sentence)


def parse_sentence(sentence: str) -> ReasonParts:
    """The parts named in a reason sentence; only the sentence when it has no parts."""
    match = _SENTENCE.match(sentence.strip())
    if match is None:
        fit = sentence.partition(" · ")[2]
        return ReasonParts(sentence=sentence, fit=fit)
    terms = [term.strip() for term in match["terms"].split(",") if term.strip()]
    return ReasonParts(
        sentence=sentence,
        shared_terms=terms,
        cv_quote=match["cv"].strip(),
        job_quote=match["job"].strip(),
        fit=(match["fit"] or "").strip(),
    )
