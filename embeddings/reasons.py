"""Why a job was recommended, from the texts themselves (no language model).

Each job and each CV is profiled once (`profile_job`, `profile_cv`): its distinct terms,
job terms ordered skills first (tags, then title words, then description words by how
often the job repeats them), and for every term the first line that holds it. Explaining
a pair is then a few look-ups: the job's best-ranked terms the CV shares, the CV line and
the job line where the first of them appears (each line cut around it), and the
remote/location fit. Everything said is literally in both texts, so a reason is never
made up.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cached_property
from itertools import accumulate, chain, islice

import msgspec

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9+#]*(?:[.\-][A-Za-z0-9+#]+)*")
_LINE_SPLIT = re.compile(r"\n+|(?<=[.!?;])\s+(?=[A-Z•\-*])|\s+[•·|]\s+")
MAX_JOB_TERMS = 40
MAX_SHARED = 4
SNIPPET = 80

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
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


class TextProfile(msgspec.Struct, dict=True):
    """A text's terms (ranked, lower-cased) and the lines where they first occur.

    It is stored as it is held (`to_json`), short keys and all: a nightly run reads
    ~30,000 profiles, so decoding is one typed msgspec pass, and everything only some
    explanations need (the term set, display forms, split lines) is derived on first use.
    """

    terms: tuple[str, ...] = msgspec.field(name="t")
    # term i first occurs in kept line `line_index[i]`, at `offsets[i]` in that line
    line_index: tuple[int, ...] = msgspec.field(name="l")
    offsets: tuple[int, ...] = msgspec.field(name="o")
    # The lines some term points at, joined by newlines (a line never holds one): one
    # string decodes far faster than a list of them, and is split only when quoted.
    lines_text: str = msgspec.field(name="x")
    # Jobs: each term as written ("PostgreSQL"), "" when that is the term itself.
    shown: tuple[str, ...] | None = msgspec.field(default=None, name="d")

    @cached_property
    def term_set(self) -> frozenset[str]:
        return frozenset(self.terms)

    @cached_property
    def display(self) -> dict[str, str]:
        """term -> how it is written in the text."""
        if self.shown is None:
            return {term: term for term in self.terms}
        return {term: shown or term for term, shown in zip(self.terms, self.shown, strict=True)}

    @cached_property
    def quotes(self) -> dict[str, str]:
        """term -> its quoted line, filled by `quote`: a job is explained ~25 times a
        night, a CV 50 times, and mostly by the same few terms."""
        return {}

    def quote(self, term: str) -> str:
        """The line where `term` first appears, cut around it; memoised in `quotes`."""
        at = self.terms.index(term)
        lines = self._lines
        quote = self.quotes[term] = _snippet(lines[self.line_index[at]], self.offsets[at])
        return quote

    @cached_property
    def _lines(self) -> list[str]:
        return self.lines_text.split("\n")


# Stored profiles (`to_json`) made under another version are made again.
PROFILE_VERSION = 4

_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(TextProfile)


def to_json(profile: TextProfile) -> str:
    """The profile as compact JSON."""
    return _ENCODER.encode(profile).decode()


def from_json(text: str | bytes) -> TextProfile:
    """A profile stored by `to_json`."""
    return _DECODER.decode(text)


def _lines(text: str) -> list[str]:
    return [line.strip(" \t-*•") for line in _LINE_SPLIT.split(text) if line.strip(" \t-*•")]


def _profile(
    lines: Sequence[str], boosted: Iterable[str], limit: int | None, *, job_header: int | None
) -> TextProfile:
    """A text's profile; for a job, `job_header` is how many leading lines (title, tags)
    to quote only for terms the rest does not hold, since a sentence says more."""
    # Postings run to thousands of words, so the per-word work is done by C loops
    # (findall, map, Counter, dict building); Python loops only over distinct terms.
    per_line = [_TOKEN.findall(line) for line in lines]
    tokens = list(chain.from_iterable(per_line))
    keys = list(map(str.lower, tokens))
    counts = Counter(keys)
    for noise in [key for key in counts if len(key) < 2 or key in STOPWORDS]:
        del counts[noise]
    line_starts = list(accumulate(len(found) for found in per_line))
    position = _first_positions(keys, 0)
    first = [key for key in dict.fromkeys(t.lower() for t in boosted) if key in counts]
    rest = sorted(counts.keys() - set(first), key=lambda key: (-counts[key], position[key]))
    ranked = tuple((first + rest)[:limit] if limit else first + rest)
    if job_header:  # quote a term from the body when the body has it
        position |= _first_positions(keys, line_starts[job_header - 1])
    line_of = [bisect_right(line_starts, position[term]) for term in ranked]
    kept = sorted(set(line_of))  # only the lines some term points at are stored
    new_index = {line: place for place, line in enumerate(kept)}
    lowered = [line.lower() for line in lines]
    return TextProfile(
        ranked,
        tuple(new_index[line] for line in line_of),
        tuple(max(lowered[line].find(term), 0) for line, term in zip(line_of, ranked, strict=True)),
        "\n".join(lines[line] for line in kept),
        None if job_header is None else _shown(tokens, keys, ranked),
    )


def _first_positions(keys: list[str], start: int) -> dict[str, int]:
    """Each key's first position in `keys` from `start` on (reversed: first wins)."""
    return dict(zip(reversed(keys[start:]), range(len(keys) - 1, start - 1, -1), strict=True))


def _shown(tokens: list[str], keys: list[str], ranked: Sequence[str]) -> tuple[str, ...]:
    """How each term is written, preferring a form with capitals ("PostgreSQL"); ""
    when that is the term itself."""
    written = dict(zip(reversed(keys), reversed(tokens), strict=True))
    capitals = [token for token in tokens if not token.islower()]
    written.update(zip(map(str.lower, reversed(capitals)), reversed(capitals), strict=True))
    return tuple("" if written[term] == term else written[term] for term in ranked)


def profile_job(title: str, tags: Sequence[str], description: str) -> TextProfile:
    """A job's profile: tags first (they are its skills), then title words, then the
    description's most repeated terms; at most `MAX_JOB_TERMS` of them."""
    # Lines are stored joined by newlines, so the header's own are made spaces.
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


def _snippet(line: str, at: int) -> str:
    """At most `SNIPPET` characters of `line`, around offset `at` when the line is long."""
    if len(line) <= SNIPPET:
        return line
    start = max(0, min(at - SNIPPET // 3, len(line) - SNIPPET))
    text = line[start : start + SNIPPET].strip()
    return ("…" if start > 0 else "") + text + ("…" if start + SNIPPET < len(line) else "")


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


_NOTHING_SHARED = "Similar in meaning to your CV overall, with no exact terms in common"
_TAILS: dict[str, str] = {}


def _tail(fit: str) -> str:
    """ " · Fit" with a capital; memoised (a run has few distinct fits)."""
    tail = _TAILS.get(fit)
    if tail is None:
        tail = _TAILS[fit] = f" · {fit[0].upper()}{fit[1:]}"
    return tail


def explain(cv: TextProfile, job: TextProfile, fit: str | None = None) -> str:
    """One short, true sentence on why `job` suits the CV's owner.

    Runs ~500,000 times a night, hence C loops and memoised quotes: the shared terms are
    the job's best-ranked `MAX_SHARED` terms that the CV also has, and both quotes are
    the lines where the first of them appears.
    """
    # The job's terms in rank order, kept while the CV has them: C loops, stopped early.
    top = tuple(islice(filter(cv.term_set.__contains__, job.terms), MAX_SHARED))
    tail = (_TAILS.get(fit) or _tail(fit)) if fit else ""
    if not top:
        return _NOTHING_SHARED + tail
    skills = ", ".join(map(job.display.__getitem__, top))
    best = top[0]
    cv_line = cv.quotes.get(best) or cv.quote(best)
    job_line = job.quotes.get(best) or job.quote(best)
    return f"You share {skills} · your CV: “{cv_line}” ↔ the job: “{job_line}”{tail}"
