"""Why a job was recommended, from the texts themselves (no language model).

Each job and each CV is profiled once (`profile_job`, `profile_cv`): its distinct terms
(a plural and its singular are one term, `embeddings.plurals`), job terms ordered skills
first (tags, then title words, then description words by how often the job repeats
them), and for every term the first line that holds it, cut around it at word
boundaries (`embeddings.quotes`). A reason names the job's most specific terms (at most
`MAX_SHARED`) that the CV shares, quotes the CV line and the job line where the first of
them appears, and says the remote/location fit (`location_fit`). The nightly run only
finds which terms are shared (`embeddings.evidence`, numbers only); the sentence and its
parts are written when the list is read. Every term named is in both texts (up to
singular and plural) and every quote is literally in its text, so a reason is never
made up.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import blake2b
from itertools import accumulate, chain

import numpy as np

from embeddings.plurals import IRREGULAR, singular
from embeddings.quotes import SNIPPET, UNSPACED, quote_around

# A term starts with a letter of any script, so "Führung" and "für" stay whole words
# rather than ASCII fragments such as "hrung" that would be named as shared terms. Text
# in scripts written without spaces (Chinese, Japanese) has no words to find without a
# dictionary: it is no term, and it ends one, so "Python" is a term of "Python経験".
_WORD_CHAR = rf"(?:[^\W{UNSPACED}]|[+#])"
_TOKEN = re.compile(rf"[^\W\d_{UNSPACED}]{_WORD_CHAR}*(?:[.\-]{_WORD_CHAR}+)*")
_UNSPACED_CHAR = re.compile(f"[{UNSPACED}]")
_LINE_SPLIT = re.compile(r"\n+|(?<=[.!?;])\s+(?=[A-Z•\-*])|\s+[•·|]\s+")
MAX_JOB_TERMS = 40
MAX_SHARED = 4
# A longer "word" is a hash, a URL's path or text run together, never a skill: not a
# term, so a quote around a term always fits its length.
MAX_TERM_CHARS = 40

# English function words plus the words every job ad and CV uses: sharing "team" or
# "experience" says nothing about fit.
_STOPWORD_TEXT = (
    "a about above after again all also am an and any are as at be because been before "
    "being below between both but by can could did do does doing down during each else "
    "etc few for from further had has have having he her here hers him his how i if in "
    "into is it its itself just me more most my no nor not now of off on once only or "
    "other our ours out over own same she should so some such than that the their theirs "
    "them then there these they this those through to too under until up very via was we "
    "were what when where which while who whom why will with would you your yours per "
    "within without able ability across apply applicant applicants based benefits best "
    "candidate candidates company role roles position job jobs join looking new "
    "opportunity opportunities please required requirements responsibilities responsible "
    "skills skill strong team teams work working works years year experience experienced "
    "great good excellent knowledge including us we're you'll you're well like make help "
    "get use using used day days time full part must may one two three plus etc within "
    "salary offer offers environment level senior junior mid hiring hire build building "
    "nice ideal want wants run runs seeking need needs lead tags"
)
# German function words: Arbeitnow's postings (and many CVs) are German.
_GERMAN_STOPWORD_TEXT = (
    "aber alle allem allen aller alles als am an auch auf aus bei bin bis bist da damit "
    "dann das dass dem den der des dich die dies diese diesem diesen dieser dieses dir "
    "doch dort du durch ein eine einem einen einer eines er es euch euer eure für gegen "
    "habe haben hat hatte hier ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im ins "
    "ist ja jede jedem jeden jeder jedes kann kein keine können mehr mein meine mich mir "
    "mit muss müssen nach nicht noch nun nur ob oder ohne sehr sein seine sich sie sind "
    "sowie über um und uns unser unsere unserem unseren unserer unter vom von vor war "
    "waren was weil wenn wer werden wie wir wird wo zu zum zur zwischen"
)
# What is left of "we're", "you'll", "we've" once a token stops at the apostrophe.
_CONTRACTIONS = "re ll ve"
_STOPWORD_LIST = f"{_STOPWORD_TEXT} {_GERMAN_STOPWORD_TEXT} {_CONTRACTIONS}".split()
# Terms are singular: "benefits" is as empty as "benefit".
STOPWORDS = frozenset(_STOPWORD_LIST) | frozenset(map(singular, _STOPWORD_LIST))


@dataclass(frozen=True)
class TextProfile:
    """What reasons need of a text, made once per text and stored (`text_profiles`).

    Terms are ranked (jobs) or in order of first appearance (CVs) and known by a 64-bit
    key (`term_key`): the nightly run matches a CV's keys against each picked job's
    (`embeddings.evidence`) without reading any text, and PostgreSQL writes the sentence
    when a list is read (`jobmatch_reason`, migration 008) from the display forms and
    quoted lines stored here.
    """

    keys: bytes  # each term's key, little-endian int64, in term order
    # The distinct quoted lines (each cut around its term), UTF-8, end to end, and per
    # term where its quote starts and ends in them (bytes): PostgreSQL cuts a quote out
    # in constant time, where the n-th element of a text array costs a walk over n.
    quote_text: bytes
    quote_starts: tuple[int, ...]
    quote_ends: tuple[int, ...]
    shown: tuple[str, ...]  # jobs: each term as written ("PostgreSQL"); CVs: ()
    terms: tuple[str, ...] = field(compare=False)  # lower-cased; not stored


# Stored profiles made under another version are made again.
PROFILE_VERSION = 7


def term_key(term: str) -> int:
    """A term's 64-bit key (never 0, which pads). Two of the ~100,000 terms a catalog
    holds collide with odds of about 1 in 10^9 a night; a collision could only name a
    term as shared that is not, so keys are as good as the terms for reasons."""
    key = int.from_bytes(blake2b(term.encode(), digest_size=8).digest(), "little", signed=True)
    return key or 1


def _lines(text: str) -> list[str]:
    return [line.strip(" \t-*•") for line in _LINE_SPLIT.split(text) if line.strip(" \t-*•")]


def _profile(
    lines: Sequence[str], boosted: Iterable[str], limit: int | None, *, job_header: int | None
) -> TextProfile:
    """A text's profile; for a job, `job_header` is how many leading lines (title, tags)
    to quote only for terms the rest does not hold, since a sentence says more."""
    # Postings run to thousands of words, so the per-word work is done by C loops
    # (findall, map, Counter, dict building); Python loops only over distinct words.
    per_line = [_TOKEN.findall(line) for line in lines]
    tokens = list(chain.from_iterable(per_line))
    lowered = list(map(str.lower, tokens))
    # Only words ending in "s" (and a few irregular plurals) can fold.
    folded = {word: singular(word) for word in set(lowered) if word[-1] == "s" or word in IRREGULAR}
    keys = list(map(folded.get, lowered, lowered))
    counts = Counter(keys)
    for noise in [key for key in counts if not 2 <= len(key) <= MAX_TERM_CHARS]:
        del counts[noise]
    for noise in counts.keys() & STOPWORDS:
        del counts[noise]
    line_starts = list(accumulate(len(found) for found in per_line))
    position = _first_positions(keys, 0)
    boosted_keys = dict.fromkeys(singular(word.lower()) for word in boosted)
    first = [key for key in boosted_keys if key in counts]
    rest = sorted(counts.keys() - set(first), key=lambda key: (-counts[key], position[key]))
    ranked = tuple((first + rest)[:limit] if limit else first + rest)
    if job_header:  # quote a term from the body when the body has it
        position |= _first_positions(keys, line_starts[job_header - 1])
    at = [position[term] for term in ranked]
    quoted = _quotes(lines, [bisect_right(line_starts, n) for n in at], [lowered[n] for n in at])
    encoded = {quote: quote.encode() for quote in quoted}  # distinct, in order
    ends = list(accumulate(map(len, encoded.values())))
    end_of = dict(zip(encoded, ends, strict=True))
    return TextProfile(
        np.array([term_key(term) for term in ranked], dtype="<i8").tobytes(),
        b"".join(encoded.values()),
        tuple(end_of[quote] - len(encoded[quote]) for quote in quoted),
        tuple(end_of[quote] for quote in quoted),
        () if job_header is None else _shown(tokens, keys, ranked),
        ranked,
    )


def _quotes(lines: Sequence[str], line_of: list[int], words: list[str]) -> list[str]:
    """Per term, its line `line_of[i]` cut around `words[i]`, the term as written there
    (lower-cased: "apis" for the term "api")."""
    long = {line: _lower(lines[line]) for line in line_of if len(lines[line]) > SNIPPET}
    return [
        quote_around(lines[line], *_word_span(long[line], word)) if line in long else lines[line]
        for line, word in zip(line_of, words, strict=True)
    ]


def _lower(line: str) -> str:
    """`line` lower-cased, keeping every character's offset."""
    lowered = line.lower()
    if len(lowered) == len(line):
        return lowered
    # A few letters lower-case into two characters ("İ"); those stay as they are.
    return "".join(low if len(low := char.lower()) == 1 else char for char in line)


def _word_span(lowered: str, word: str) -> tuple[int, int]:
    """Where `word` first stands in `lowered` as a whole token, not inside a longer
    one ("rust" in "Rust", not in "trusted"); else where it first occurs at all."""
    at = lowered.find(word)
    while at >= 0 and not _whole(lowered, at, at + len(word)):
        at = lowered.find(word, at + 1)
    if at < 0:
        at = max(lowered.find(word), 0)
    return at, min(at + len(word), len(lowered))


def _whole(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` is not part of a longer token (see `_TOKEN`)."""
    return not (_joined(text[max(start - 2, 0) : start][::-1]) or _joined(text[end : end + 2]))


def _joined(beside: str) -> bool:
    """Whether a token would go on into `beside`, the (up to) two characters next to it,
    nearest first: a word character, or "." or "-" and then one ("node.js")."""
    if not beside:
        return False
    if beside[0] in ".-":
        return len(beside) == 2 and _continues(beside[1])
    return _continues(beside[0])


def _continues(char: str) -> bool:
    """Whether a token going up to `char` would take it in."""
    return (char.isalnum() or char in "_+#") and not _UNSPACED_CHAR.match(char)


def _first_positions(keys: list[str], start: int) -> dict[str, int]:
    """Each key's first position in `keys` from `start` on (reversed: first wins)."""
    return dict(zip(reversed(keys[start:]), range(len(keys) - 1, start - 1, -1), strict=True))


def _shown(tokens: list[str], keys: list[str], ranked: Sequence[str]) -> tuple[str, ...]:
    """How each term is first written, preferring a form with capitals ("PostgreSQL");
    a plural and its singular are one term, shown either way."""
    written = dict(zip(reversed(keys), reversed(tokens), strict=True))
    pairs = zip(keys, tokens, strict=True)
    capitals = [(key, token) for key, token in pairs if not token.islower()]
    written.update(reversed(capitals))
    return tuple(written[term] for term in ranked)


def profile_job(title: str, tags: Sequence[str], description: str) -> TextProfile:
    """A job's profile: tags first (they are its skills), then title words, then the
    description's most repeated terms; at most `MAX_JOB_TERMS` of them."""
    # A quote is one line: a title's own line breaks become spaces.
    header = [
        " ".join(line.splitlines())
        for line in [title, *(["Tags: " + ", ".join(tags)] if tags else [])]
    ]
    title_words = _TOKEN.findall(title)
    tag_words = [word for tag in tags for word in _TOKEN.findall(tag)]
    lines = [*header, *_lines(description)]
    return _profile(lines, [*tag_words, *title_words], MAX_JOB_TERMS, job_header=len(header))


def profile_cv(body: str) -> TextProfile:
    """A CV's profile: every distinct term, and where each first appears."""
    return _profile(_lines(body), (), None, job_header=None)


def location_fit(
    job_location: str, job_remote: bool, wanted_locations: Sequence[str], remote_only: bool
) -> str | None:
    """What the job's place has to do with the user's wishes, or None when nothing fits."""
    if job_remote:
        return "remote, as you asked" if remote_only else "remote"
    place = job_location.casefold()
    for wanted in wanted_locations:
        if wanted.strip() and wanted.strip().casefold() in place:
            return f"in {job_location} (you asked for {wanted.strip()})"
    return None
