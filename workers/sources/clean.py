"""Field helpers the source parsers share: typed access, clean text, dates and salaries.

Every helper raises `BadRecordError` with a short reason a person can read in the summary.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import ftfy

from workers.sources.base import BadRecordError
from workers.sources.html_text import html_to_text

# A UTF-8 lead byte read as Latin-1/cp1252, followed by a continuation byte read the same
# way: the mark of double-encoded text. Only such texts are repaired.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00c5\u00e2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_MOJIBAKE_LEADS = ("\u00c2", "\u00c3", "\u00c4", "\u00c5", "\u00e2")
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_TAG = re.compile(r"<[a-zA-Z/!]")
_ESCAPED_MARKUP = re.compile(
    r"</?(?:p|div|ul|ol|li|br|h[1-6]|strong|span|a)\b[^>]*>", re.IGNORECASE
)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def fix_text(value: str, field: str) -> str:
    """`value` with mojibake repaired; bad bytes (kept as surrogates) reject the record."""
    if value.isascii():
        return value
    try:
        value.encode()  # lone surrogates (undecodable bytes kept by the reader) fail here
    except UnicodeEncodeError as error:
        raise BadRecordError(f"{field} holds bytes that are not UTF-8") from error
    # The hint starts with one of five characters; testing for them first is much cheaper
    # than searching non-ASCII text that has none (most of it) with the pattern.
    if any(lead in value for lead in _MOJIBAKE_LEADS) and _MOJIBAKE_HINT.search(value):
        value = _decode_again(value) or ftfy.fix_text(value)
    return value


def _decode_again(value: str) -> str | None:
    """Text that is UTF-8 read as Latin-1 throughout, read right; None if it is not that.

    RemoteOK's double encoding is of this kind: one encode/decode in C undoes it, far
    cheaper than ftfy, which is kept for mixed or cp1252-style damage.
    Text that merely looks damaged almost never survives the strict UTF-8 decode.
    """
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None


def clean_description(item: dict[str, Any], key: str) -> str:
    """Plain text of an HTML description: paragraphs and list items kept, mojibake fixed.

    Double encoding is undone on the raw HTML first, where markup and entities are still
    ASCII and the whole body is damaged alike; what is left is repaired on the text.
    """
    html = item.get(key)
    if html is not None and not isinstance(html, str):
        raise BadRecordError(f"{key} is not text")
    html = fix_text(html or "", "description")
    if _TAG.search(html):
        text = html_to_text(html)  # its lines are already trimmed, its blank lines single
        if _ESCAPED_MARKUP.search(text):
            # Some postings hold their HTML escaped once more (The Muse's <pre><code>&lt;div&gt;).
            # The first pass's line breaks become <br> so its paragraphs survive the second.
            text = html_to_text(text.replace("\n", "<br>"))
    else:
        text = _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("", html)).strip()
    text = fix_text(text, "description")
    if not any(char.isalnum() for char in text):
        raise BadRecordError("description is empty or only markup")
    return text


def text(item: dict[str, Any], key: str, *, required: bool = True) -> str:
    """A text field, trimmed and repaired; '' when absent and not required."""
    value = item.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadRecordError(f"{key} is missing" if value is None else f"{key} is not text")
    value = " ".join(fix_text(value, key).split())
    if required and not value:
        raise BadRecordError(f"{key} is empty")
    return value


def identifier(item: dict[str, Any], key: str) -> str:
    """An id given as text or a whole number."""
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
        raise BadRecordError(f"{key} is missing or not an id")
    return str(value).strip()


def text_list(item: dict[str, Any], key: str) -> tuple[str, ...]:
    """A list of texts (tags), each trimmed, empty ones and repeats dropped."""
    value = item.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRecordError(f"{key} is not a list of text")
    cleaned = (" ".join(fix_text(v, key).split()) for v in value)
    return tuple(dict.fromkeys(v for v in cleaned if v))


def flag(item: dict[str, Any], key: str) -> bool:
    """A true/false field."""
    value = item.get(key)
    if not isinstance(value, bool):
        raise BadRecordError(f"{key} is not true/false")
    return value


def timestamp(value: Any, key: str, *, now: datetime | None = None) -> datetime:
    """An aware UTC time from epoch seconds or ISO 8601 (no zone means UTC).

    Times before 2000 or more than a day ahead are absurd for a job posting.
    """
    if isinstance(value, bool):
        raise BadRecordError(f"{key} is not a time")
    try:
        if isinstance(value, (int, float)):
            when = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str):
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        else:
            raise BadRecordError(f"{key} is missing" if value is None else f"{key} is not a time")
    except (ValueError, OverflowError, OSError) as error:
        raise BadRecordError(f"{key} is not a valid time") from error
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if not EARLIEST <= when <= (now or datetime.now(UTC)) + timedelta(days=1):
        raise BadRecordError(f"{key} is an absurd date")
    return when


# No yearly salary reaches this in any currency (a billion rupiah is ~60,000 USD); larger
# figures are mistakes, and past 26 digits they would not even round to cents.
_ABSURD_AMOUNT = Decimal(10) ** 15


def amount(value: Any, key: str) -> Decimal | None:
    """A salary amount; None for absent or zero (APIs send 0 for "not stated")."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadRecordError(f"{key} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise BadRecordError(f"{key} is not a number") from error
    if not number.is_finite() or number < 0:
        raise BadRecordError(f"{key} is not a valid amount")
    if number >= _ABSURD_AMOUNT:
        raise BadRecordError(f"{key} is an absurd amount")
    return number.quantize(Decimal("0.01")) if number else None


def salary_range(low: Decimal | None, high: Decimal | None) -> tuple[Decimal | None, ...]:
    """(min, max) with a lone bound used for both and swapped bounds put right."""
    low, high = low or high, high or low
    if low is not None and high is not None and low > high:
        low, high = high, low
    return low, high


_CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP", "usd": "USD", "eur": "EUR", "gbp": "GBP"}
_MONEY = re.compile(r"(\d+(?:[.,]\d+)?)\s*([kK])?")
_HOURLY = re.compile(r"/\s*h|hour|hr\b|/\s*month|month|/\s*day|daily", re.IGNORECASE)


def salary_text(value: str) -> tuple[Decimal | None, Decimal | None, str | None]:
    """Parse a free-text yearly salary such as "$80k - $100k" or "€45,000".

    Hourly, daily and monthly rates, and texts without a currency, give no salary: a
    yearly figure guessed from them would mislead the minimum-salary filter.
    """
    currency = next((code for mark, code in _CURRENCIES.items() if mark in value.lower()), None)
    if currency is None or _HOURLY.search(value):
        return None, None, None
    numbers: list[Decimal] = []
    for digits, thousands in _MONEY.findall(value.replace(",000", "000")):
        number = Decimal(digits.replace(",", "."))
        numbers.append(number * 1000 if thousands else number)
    numbers = [n for n in numbers if n >= 1000]  # "$12" is not a yearly salary
    if not numbers:
        return None, None, None
    low, high = salary_range(min(numbers), max(numbers))
    return low, high, currency
