"""Quoting a line around a term without cutting a word in half.

A reason quotes the line where a term appears; a long line is cut to about `SNIPPET`
characters around the term. Cuts fall where a reader sees a word end: at white space, or
between two characters of a script written without spaces (Chinese, Japanese), where
every character may end a word. A quote starts at the first such place at or after its
ideal start and ends at the last one at or before its ideal end, so it only ever shrinks
to a word boundary. When the words around the term leave no such place (a long URL, a
path, a run of text with no spaces), it is cut where letters meet punctuation, and at
worst at the term itself. "…" marks each side that was cut; a term at the very start or
end of its line needs none there.
"""

from __future__ import annotations

import re
import unicodedata

SNIPPET = 80
ELLIPSIS = "…"

# Characters of scripts written without spaces between words, and their punctuation:
# CJK symbols, Hiragana, Katakana, CJK ideographs, halfwidth and fullwidth forms.
UNSPACED = "\u2e80-\u2fdf\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# White space, and characters of unspaced scripts: a cut may fall on either side of one.
_BREAK = re.compile(rf"[\s{UNSPACED}]")
# Where a word character meets another character: the fallback inside a long "word".
_WORD_EDGE = re.compile(r"\b")
# Left at a cut, these read as debris of the sentence the cut went through.
_DANGLING = ",;:"


def quote_around(line: str, start: int, end: int) -> str:
    """`line`, cut around the term at `start:end` to about `SNIPPET` characters (never
    less than the term) at word boundaries."""
    if len(line) <= SNIPPET:
        return line
    room = max(SNIPPET, end - start)
    # A third of the room before the term, unless the line or the term ends sooner.
    ideal = max(0, end - room, min(start - SNIPPET // 3, len(line) - room))
    first = _first_cut(line, ideal, start)
    last = _last_cut(line, end, min(len(line), first + room))
    return _marked(line, first, last)


def _first_cut(text: str, low: int, start: int) -> int:
    """The first word boundary in `low..start` (a quote's start), else `start`."""
    if low == 0:
        return 0
    # A break character just before `low` makes `low` itself a boundary.
    found = _BREAK.search(text, low - 1, start + 1)
    if found is not None:
        return max(found.start(), low)
    for edge in _WORD_EDGE.finditer(text, low, start + 1):  # one past: see `_last_cut`
        if edge.start() <= start and _clean_edge(text, edge.start()):
            return edge.start()
    return start


def _last_cut(text: str, end: int, high: int) -> int:
    """The last word boundary in `end..high` (a quote's end), else `end`."""
    if high == len(text):
        return high
    # The searches see one character past `high`: whether `high` itself is a boundary
    # depends on it.
    breaks = [b.start() for b in _BREAK.finditer(text, end, high + 1)]
    if breaks:  # a break character: a boundary before it and after it
        return min(breaks[-1] + 1, high)
    edges = _WORD_EDGE.finditer(text, end, high + 1)
    cuts = [e.start() for e in edges if e.start() <= high and _clean_edge(text, e.start())]
    return cuts[-1] if cuts else end


def _clean_edge(text: str, at: int) -> bool:
    """Whether cutting at `at` leaves whole characters: not before a combining mark
    (an accent or a vowel sign written on the letter before it)."""
    return at >= len(text) or not unicodedata.category(text[at]).startswith("M")


def _marked(text: str, first: int, last: int) -> str:
    """`text[first:last]`, "…" on each side that was cut, with no separator left
    dangling at a cut."""
    quote = text[first:last]
    head = ELLIPSIS if first > 0 else ""
    tail = ELLIPSIS if last < len(text) else ""
    quote = quote.strip()
    if head:
        quote = quote.lstrip(_DANGLING).lstrip()
    if tail:
        quote = quote.rstrip(_DANGLING).rstrip()
    return head + quote + tail
