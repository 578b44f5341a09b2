"""Jinja filters: how numbers, dates, links and match reasons read on a page.

Each returns plain text, or `Markup` built only from escaped pieces, so autoescaping
still holds for everything a CV, a job posting or a person typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(value: float | None) -> str:
    """12345.0 → '12,345'; None → ''."""
    return "" if value is None else f"{value:,.0f}"


def salary(job: Any) -> str:
    """A job's salary range as one short phrase, or '' when it states none."""
    low, high = job.salary_min, job.salary_max
    if low is None and high is None:
        return ""
    sign = CURRENCY_SIGNS.get((job.salary_currency or "").upper(), "")
    unit = "" if sign else f" {job.salary_currency}" if job.salary_currency else ""
    if low is not None and high is not None and low != high:
        return f"{sign}{money(low)}–{sign}{money(high)}{unit}"
    return f"{sign}{money(high if low is None else low)}{unit}"


def percent(score: float) -> int:
    """A 0–1 similarity as a whole percentage, clamped."""
    return max(0, min(100, round(score * 100)))


def day(value: datetime | str | None) -> str:
    """'3 Dec 2025' (UTC) for a timestamp or an ISO string."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(UTC).strftime("%-d %b %Y")


def stamp(value: datetime | None) -> str:
    """'2025-12-03 18:37 UTC'."""
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def seconds(start: datetime, end: datetime | None) -> str:
    """How long a run took, or 'running'."""
    if end is None:
        return "running"
    return f"{(end - start).total_seconds():.1f} s"


def safe_url(url: str | None) -> str | None:
    """The URL when it is http(s), else None: a posting's link never runs `javascript:`."""
    if url and re.match(r"^https?://", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


def highlight(text: str, terms: Iterable[str]) -> Markup:
    """`text` escaped, with each whole-word occurrence of `terms` wrapped in <mark>.

    The terms are matched in the escaped text (they are escaped alike), never inside an
    entity such as `&amp;`: one pass, no splitting of the text into pieces.
    """
    escaped = str(escape(text))
    words = tuple(sorted({str(escape(t)) for t in terms if t.strip()}, key=len, reverse=True))
    if not words:
        return Markup(escaped)
    return Markup(_terms_pattern(words).sub(r"<mark>\1</mark>", escaped))


@lru_cache(maxsize=1024)
def _terms_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for the terms, longest first (compiled once per set of terms)."""
    alternatives = "|".join(re.escape(w) for w in words)
    # Not after `&` or `#`, not before `;`: never inside an entity of the escaped text.
    return re.compile(r"(?<![\w&#])(" + alternatives + r")(?![\w;])", re.IGNORECASE)


def joined(value: Any) -> str:
    """A list as 'a, b'; a number without a trailing '.0'; text as it is."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return str(value)


FILTERS: dict[str, Callable[..., Any]] = {
    "money": money,
    "salary": salary,
    "percent": percent,
    "day": day,
    "stamp": stamp,
    "seconds": seconds,
    "safe_url": safe_url,
    "highlight": highlight,
    "joined": joined,
}
