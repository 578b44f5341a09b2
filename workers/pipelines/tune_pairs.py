"""Training pairs for `jobmatch tune`, and the split that keeps reported queries unseen.

A pair is (anchor, positive[, hard negative]) for MultipleNegativesRankingLoss: the
other positives of a batch are its easy negatives, the hard negative a near miss. Kinds:

- ``feedback``: a user's CV window → a job they applied to, saved or voted up; the hard
  negative is a job the same user voted down;
- ``graded``: a CV window of a labelled set's *train split* → a job graded ≥ 2; the hard
  negative is a job graded 0 for that CV (judged sets pool near misses, so these are hard);
- ``duplicate``: one posting as two sources wrote it (same dedupe key across sources);
- ``sections``: a job's head (title, company, category, skills, place) → a window of its
  requirements / responsibilities sections (`embeddings.sections`).

The split is by the CV's text, not a set's query id: a CV is held out in every set that
holds it, so a derived set cannot leak a judged set's held-out CV back into training.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from embeddings.representation import cv_pieces
from embeddings.sections import split_sections
from embeddings.text import JobFields, TextOptions, chunk_words, clean, job_text
from workers.evaluation.dataset import LabelledSet

KINDS = ("feedback", "graded", "duplicate", "sections")
# CV windows per positive job: a CV's first windows hold its summary and skills.
WINDOWS_PER_CV = 3
SECTION_WINDOWS_PER_JOB = 2
POSITIVE_GRADE = 2
_SPLIT_SALT = b"jobmatch tune split\n"


@dataclass(frozen=True)
class TrainingPair:
    anchor: str
    positive: str
    negative: str | None
    kind: str


def is_held_out(cv_body: str) -> bool:
    """Whether a CV belongs to the held-out half: the first byte of SHA-256 over a fixed
    salt and the CV's stripped text is odd. Stable across runs, machines and sets."""
    digest = hashlib.sha256(_SPLIT_SALT + cv_body.strip().encode()).digest()
    return digest[0] % 2 == 1


def split_set(labelled: LabelledSet) -> tuple[LabelledSet, LabelledSet]:
    """(train split, held-out split) of a labelled set, queries divided by `is_held_out`;
    both keep every document (a document is not a label)."""
    held = {q.id for q in labelled.queries if is_held_out(q.text)}

    def part(keep_held: bool, suffix: str) -> LabelledSet:
        queries = [q for q in labelled.queries if (q.id in held) == keep_held]
        ids = {q.id for q in queries}
        judgments = {q: j for q, j in labelled.judgments.items() if q in ids}
        return replace(
            labelled,
            name=f"{labelled.name} ({suffix})",
            queries=queries,
            judgments=judgments,
            stats={},
        )

    return part(False, "train"), part(True, "held-out")


def graded_pairs(train: LabelledSet) -> list[TrainingPair]:
    """Each train CV's windows → each job graded ≥ 2, a grade-0 job as hard negative."""
    documents = {doc.id: doc for doc in train.documents}
    pairs: list[TrainingPair] = []
    for query in train.judged_queries():
        grades = train.judgments.get(query.id, {})
        positives = sorted(d for d, g in grades.items() if g >= POSITIVE_GRADE and d in documents)
        negatives = sorted(d for d, g in grades.items() if g == 0 and d in documents)
        for number, doc_id in enumerate(positives):
            negative = documents[negatives[number % len(negatives)]] if negatives else None
            pairs += _cv_pairs(query.text, documents[doc_id], negative, "graded")
    return pairs


def feedback_pairs(
    cv_body: str, liked: Sequence[JobFields], disliked: Sequence[JobFields]
) -> list[TrainingPair]:
    """One user's signals: CV windows → each liked job, a disliked one as hard negative."""
    pairs: list[TrainingPair] = []
    for number, job in enumerate(liked):
        negative = disliked[number % len(disliked)] if disliked else None
        pairs += _cv_pairs(cv_body, job, negative, "feedback")
    return pairs


def duplicate_pairs(groups: Iterable[Sequence[JobFields]]) -> list[TrainingPair]:
    """Within each group of one posting by several sources: one's text → another's
    description, each ordered pair once."""
    pairs = []
    for group in groups:
        for first in group:
            for second in group:
                if first is not second and clean(second.description):
                    pairs.append(
                        TrainingPair(job_text(first), clean(second.description), None, "duplicate")
                    )
    return pairs


def section_pairs(jobs: Iterable[JobFields]) -> list[TrainingPair]:
    """A job's head → the first windows of its sections that describe the work."""
    options = TextOptions()
    pairs = []
    for job in jobs:
        head = job_text(job, TextOptions(template="title_tags"))
        core = " ".join(s.text for s in split_sections(job.description) if s.kind == "core")
        if not head or not core:
            continue
        for window in chunk_words(core, options)[:SECTION_WINDOWS_PER_JOB]:
            pairs.append(TrainingPair(head, window, None, "sections"))
    return pairs


def without_texts(pairs: Iterable[TrainingPair], reported: set[str]) -> list[TrainingPair]:
    """Pairs that hold no window of a reported CV (a held-out or `--eval-set` query)."""
    banned = {piece.text for body in reported for piece in cv_pieces(body)}
    return [
        pair for pair in pairs if not banned & {pair.anchor, pair.positive, pair.negative or ""}
    ]


def capped(pairs: Sequence[TrainingPair], limit: int, seed: int) -> list[TrainingPair]:
    """At most `limit` distinct pairs, a seeded sample when there are more (order shuffled)."""
    unique = list(dict.fromkeys(pairs))
    random.Random(seed).shuffle(unique)
    return unique[:limit]


def count_by_kind(pairs: Iterable[TrainingPair]) -> dict[str, int]:
    """Pairs per kind, every kind named (0 when absent), plus how many have a hard negative."""
    counts = dict.fromkeys(KINDS, 0)
    negatives = 0
    for pair in pairs:
        counts[pair.kind] += 1
        negatives += pair.negative is not None
    return {**counts, "with_hard_negative": negatives}


def _cv_pairs(
    cv_body: str, job: JobFields, negative: JobFields | None, kind: str
) -> list[TrainingPair]:
    positive = job_text(job)
    hard = job_text(negative) if negative is not None else None
    windows = [piece.text for piece in cv_pieces(cv_body)][:WINDOWS_PER_CV]
    return [TrainingPair(w, positive, hard, kind) for w in windows if positive]
