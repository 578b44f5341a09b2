"""Merge the two blind grading passes: check them, measure agreement, build the final set.

Run from the repository root once every sheet of both passes is filled in:

    .venv/bin/python eval/tools/merge_passes.py

1. Reads `judging/pass-A/qNN.tsv` and `judging/pass-B/qNN.tsv` and refuses (listing every
   problem) a sheet with a missing, unknown or repeated label or a grade outside 0-3.
2. Maps each pass's labels to job ids through its `packets-X/keys.json`, so the two
   shuffles line up pair by pair.
3. Writes `judging/agreement.json` (exact agreement, Cohen's κ unweighted, linearly and
   quadratically weighted, the confusion matrix, grade distributions, per-CV agreement)
   and `judging/disagreements.md` (each pair the passes graded differently, with both
   notes; no system information), plus `judging/adjudication-template.tsv` to fill in.
4. When `judging/adjudicated.tsv` exists (``query<TAB>doc<TAB>grade<TAB>note``, one row
   per disagreeing pair), writes the final set `eval/sets/judged-cv-jobs.json` in the
   format of workers/evaluation/dataset.py: every catalog job as a document, the agreed
   grade or else the adjudicated one as judgments.

Exit status: 0 done, 1 a sheet or the adjudication is incomplete or malformed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from build_pool import DEFAULT_DATA, DEFAULT_OUT, PASSES, ROOT, write_json

from workers.evaluation.dataset import load
from workers.evaluation.shared_data import job_catalog

GRADES = (0, 1, 2, 3)
SET_NAME = "judged-cv-jobs"
DEFAULT_SET = ROOT / "eval" / "sets" / f"{SET_NAME}.json"
SHEET_HEADER = ["label", "grade", "note"]
ADJUDICATED_HEADER = ["query", "doc", "grade", "note"]
MAX_ERRORS_SHOWN = 60
SET_NOTE = (
    "Relevance JUDGED by reading, not derived: each (CV, job) pair of the pool was graded "
    "0-3 with eval/rubric.md in two independent blind passes (different job orders, no "
    "system information), and disagreements were adjudicated. The pool is the union of the "
    "top 10 of six systems (bm25, default, chunk, sections, hybrid, char_tfidf) plus 3 "
    "random jobs per CV; unjudged jobs count as grade 0, so report judged@10 with every "
    "metric. See eval/README.md."
)

Pair = tuple[str, str]  # (CV id, job id)
IntMatrix = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Grade:
    grade: int
    note: str


class Problems:
    """Every problem found, so one run lists them all."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, message: str) -> None:
        self.errors.append(message)

    def report(self) -> None:
        for message in self.warnings[:MAX_ERRORS_SHOWN]:
            print(f"warning: {message}", file=sys.stderr)
        for message in self.errors[:MAX_ERRORS_SHOWN]:
            print(f"error: {message}", file=sys.stderr)
        hidden = len(self.errors) - MAX_ERRORS_SHOWN
        if hidden > 0:
            print(f"error: … and {hidden} more", file=sys.stderr)


# ---------------------------------------------------------------- reading


def read_keys(judging: Path, pass_name: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(packet → CV id, packet → label → job id) of one pass."""
    raw = json.loads((judging / f"packets-{pass_name}" / "keys.json").read_text("utf-8"))
    return dict(raw["queries"]), {q: dict(labels) for q, labels in raw["labels"].items()}


def _rows(path: Path, header: Sequence[str], problems: Problems) -> list[list[str]] | None:
    """The tab-separated rows of `path` after a checked header (None when unreadable)."""
    if not path.exists():
        problems.error(f"{path}: missing")
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [cell.strip() for cell in lines[0].split("\t")] if lines else []
    if found != list(header):
        problems.error(f"{path}: header must be {'<TAB>'.join(header)!r}, found {found}")
        return None
    width = len(header)
    return [
        [cell.strip() for cell in (line.split("\t", width - 1) + [""] * width)[:width]]
        for line in lines[1:]
        if line.strip()
    ]


def _grade(text: str, where: str, problems: Problems) -> int | None:
    if text not in {str(g) for g in GRADES}:
        shown = repr(text) if text else "empty"
        problems.error(f"{where}: grade {shown}; must be one of 0, 1, 2, 3")
        return None
    return int(text)


def read_sheet(path: Path, labels: dict[str, str], problems: Problems) -> dict[str, Grade]:
    """label → grade of one sheet; problems recorded, never raised."""
    rows = _rows(path, SHEET_HEADER, problems)
    if rows is None:
        return {}
    graded: dict[str, Grade] = {}
    for number, (label, grade_text, note) in enumerate(rows, start=2):
        where = f"{path}:{number} ({label or 'no label'})"
        if label not in labels:
            problems.error(f"{where}: unknown label; this packet has J01-J{len(labels):02d}")
            continue
        if label in graded:
            problems.error(f"{where}: {label} graded twice")
            continue
        grade = _grade(grade_text, where, problems)
        if grade is not None:
            graded[label] = Grade(grade, note)
            if not note:
                problems.warnings.append(f"{where}: no note")
    missing = [label for label in labels if label not in graded]
    if missing and len(missing) < len(labels):
        problems.error(f"{path}: not graded: {', '.join(missing)}")
    elif missing:
        problems.error(f"{path}: no grade at all ({len(labels)} jobs to grade)")
    return graded


def read_pass(judging: Path, pass_name: str, problems: Problems) -> dict[Pair, Grade]:
    """(CV id, job id) → grade of every sheet of one pass."""
    queries, labels = read_keys(judging, pass_name)
    grades: dict[Pair, Grade] = {}
    for qid, cv in sorted(queries.items()):
        sheet = read_sheet(judging / f"pass-{pass_name}" / f"{qid}.tsv", labels[qid], problems)
        for label, grade in sheet.items():
            grades[cv, labels[qid][label]] = grade
    return grades


# ---------------------------------------------------------------- agreement


def confusion(pairs: Iterable[tuple[int, int]]) -> IntMatrix:
    """Counts of (grade in A, grade in B): rows A, columns B."""
    matrix = np.zeros((len(GRADES), len(GRADES)), dtype=np.int64)
    for a, b in pairs:
        matrix[a, b] += 1
    return matrix


def cohen_kappa(matrix: IntMatrix, weighting: str = "none") -> float | None:
    """Cohen's κ of a confusion matrix; ``linear`` or ``quadratic`` weights disagreements by
    distance (|i-j| or (i-j)², scaled to 0..1). None when chance agreement is total (both
    passes used one and the same grade for everything), where κ is undefined."""
    k = matrix.shape[0]
    i, j = np.indices((k, k))
    if weighting == "none":
        weights = (i != j).astype(np.float64)
    elif weighting == "linear":
        weights = np.abs(i - j) / (k - 1)
    elif weighting == "quadratic":
        weights = (i - j) ** 2 / (k - 1) ** 2
    else:
        raise ValueError(f"unknown weighting {weighting!r}")
    total = matrix.sum()
    if total == 0:
        return None
    observed = matrix / total
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    chance = float((weights * expected).sum())
    if chance == 0:
        return None
    return 1.0 - float((weights * observed).sum()) / chance


def agreement(
    a: dict[Pair, Grade], b: dict[Pair, Grade], cv_order: Sequence[str]
) -> dict[str, object]:
    """The agreement report between two complete passes over the same pairs."""
    pairs = sorted(a)
    matrix = confusion((a[p].grade, b[p].grade) for p in pairs)
    exact = int(np.trace(matrix))
    binary = sum((a[p].grade >= 2) == (b[p].grade >= 2) for p in pairs)
    per_cv: dict[str, dict[str, float]] = {}
    for cv in cv_order:
        mine = [p for p in pairs if p[0] == cv]
        same = sum(a[p].grade == b[p].grade for p in mine)
        per_cv[cv] = {"pairs": len(mine), "exact": round(same / len(mine), 4) if mine else 0.0}
    return {
        "pairs": len(pairs),
        "exact_agreement": round(exact / len(pairs), 4) if pairs else None,
        "within_one": round(sum(abs(a[p].grade - b[p].grade) <= 1 for p in pairs) / len(pairs), 4)
        if pairs
        else None,
        "relevant_agreement": round(binary / len(pairs), 4) if pairs else None,
        "kappa": _rounded(cohen_kappa(matrix)),
        "kappa_linear": _rounded(cohen_kappa(matrix, "linear")),
        "kappa_quadratic": _rounded(cohen_kappa(matrix, "quadratic")),
        "confusion": matrix.tolist(),
        "confusion_axes": "rows = pass A grade 0-3, columns = pass B grade 0-3",
        "grades_A": _distribution(a),
        "grades_B": _distribution(b),
        "disagreements": len(pairs) - exact,
        "per_cv": per_cv,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _distribution(grades: dict[Pair, Grade]) -> dict[str, int]:
    counts = Counter(g.grade for g in grades.values())
    return {str(g): counts.get(g, 0) for g in GRADES}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "(no note)"


def write_disagreements(
    path: Path,
    a: dict[Pair, Grade],
    b: dict[Pair, Grade],
    titles: dict[str, str],
) -> list[Pair]:
    """disagreements.md: every pair graded differently, with both grades and notes."""
    differing = [p for p in sorted(a) if a[p].grade != b[p].grade]
    lines = [
        "# Disagreements between pass A and pass B",
        "",
        f"{len(differing)} of {len(a)} pairs. Adjudicate each by reading the CV and the job "
        "again with eval/rubric.md (not by averaging), and write the final grade with a note "
        "in eval/judging/adjudicated.tsv (start from adjudication-template.tsv).",
        "",
        "| CV | job | title | A | B | note A | note B |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {cv} | {doc} | {_cell(titles.get(doc, '?'))} | {a[cv, doc].grade} | "
        f"{b[cv, doc].grade} | {_cell(a[cv, doc].note)} | {_cell(b[cv, doc].note)} |"
        for cv, doc in differing
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return differing


# ---------------------------------------------------------------- adjudication and the set


def read_adjudicated(path: Path, differing: Sequence[Pair], problems: Problems) -> dict[Pair, int]:
    """(CV id, job id) → adjudicated grade, one for every disagreeing pair and no other."""
    rows = _rows(path, ADJUDICATED_HEADER, problems)
    if rows is None:
        return {}
    wanted = set(differing)
    grades: dict[Pair, int] = {}
    for number, (cv, doc, grade_text, _) in enumerate(rows, start=2):
        where = f"{path}:{number} ({cv} {doc})"
        if (cv, doc) not in wanted:
            problems.error(f"{where}: not a pair the passes disagree on")
        elif (cv, doc) in grades:
            problems.error(f"{where}: adjudicated twice")
        elif (grade := _grade(grade_text, where, problems)) is not None:
            grades[cv, doc] = grade
    missing = [p for p in differing if p not in grades]
    if missing:
        shown = ", ".join(f"{cv} {doc}" for cv, doc in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        problems.error(f"{path}: {len(missing)} disagreements not adjudicated: {shown}{more}")
    return grades


def _adjudicated_pairs(path: Path) -> set[Pair]:
    """The pairs `path` already holds a grade for (none when it does not exist)."""
    if not path.exists():
        return set()
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    return {(cells[0], cells[1]) for cells in rows if len(cells) > 2 and cells[2].strip()}


def write_template(path: Path, differing: Sequence[Pair]) -> None:
    rows = "".join(f"{cv}\t{doc}\t\t\n" for cv, doc in differing)
    path.write_text("\t".join(ADJUDICATED_HEADER) + "\n" + rows, encoding="utf-8")


def build_set(
    judging: Path,
    data: Path,
    out: Path,
    *,
    cv_order: Sequence[str],
    a: dict[Pair, Grade],
    b: dict[Pair, Grade],
    adjudicated: dict[Pair, int],
) -> dict[str, object]:
    """The set in its reference form: ids, grades and the note; the texts stay in the
    shared data and are read when the set is loaded (`workers.evaluation.shared_data`)."""
    raw = json.loads((judging / "queries.json").read_text(encoding="utf-8"))
    cvs = {q["id"]: q for q in raw}
    known = {doc.id for doc in job_catalog(data)}
    judgments: dict[str, dict[str, int]] = {cv: {} for cv in cv_order}
    for cv, doc in sorted(a):
        if doc not in known:
            raise SystemExit(f"{doc} (graded for {cv}) is not in the catalog built from {data}")
        agreed = a[cv, doc].grade == b[cv, doc].grade
        judgments[cv][doc] = a[cv, doc].grade if agreed else adjudicated[cv, doc]
    return {
        "name": SET_NAME,
        "derived": False,
        "note": SET_NOTE,
        "texts": {
            "from": "shared-data",
            "data_dir": os.path.relpath(data.resolve(), out.parent.resolve()),
            "documents": "every job of the saved API responses (shared_data.job_catalog)",
        },
        "queries": [
            {"id": cv, "category": cvs[cv]["category"], "text_sha256": cvs[cv]["text_sha256"]}
            for cv in cv_order
        ],
        "judgments": judgments,
    }


# ---------------------------------------------------------------- main


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--judging", type=Path, default=DEFAULT_OUT, help="the judging dir")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data dir")
    parser.add_argument("--out", type=Path, default=DEFAULT_SET, help="the final set file")
    args = parser.parse_args(list(argv) if argv is not None else None)
    judging: Path = args.judging

    problems = Problems()
    keys = [read_keys(judging, pass_name) for pass_name in PASSES]
    if any(queries != keys[0][0] for queries, _ in keys):
        raise SystemExit("the passes' keys.json name different CVs per packet")
    for qid in keys[0][0]:
        if any(
            sorted(labels[qid].values()) != sorted(keys[0][1][qid].values()) for _, labels in keys
        ):
            raise SystemExit(f"the passes' keys.json pool different jobs for {qid}")
    a, b = (read_pass(judging, pass_name, problems) for pass_name in PASSES)
    if problems.errors:
        problems.report()
        print(f"{len(problems.errors)} problems; nothing written", file=sys.stderr)
        return 1
    problems.report()

    cv_order = [cv for _, cv in sorted(keys[0][0].items())]
    titles = {doc.id: doc.title for doc in job_catalog(args.data)}
    report = agreement(a, b, cv_order)
    write_json(judging / "agreement.json", report)
    differing = write_disagreements(judging / "disagreements.md", a, b, titles)
    print(
        f"{report['pairs']} pairs: exact agreement {report['exact_agreement']}, "
        f"κ {report['kappa']}, linear κ {report['kappa_linear']}, "
        f"quadratic κ {report['kappa_quadratic']}; {len(differing)} disagreements"
    )
    adjudication = judging / "adjudicated.tsv"
    done = _adjudicated_pairs(adjudication)
    if open_pairs := [pair for pair in differing if pair not in done]:
        write_template(judging / "adjudication-template.tsv", open_pairs)
        print(
            f"{len(open_pairs)} disagreements are not adjudicated yet (listed in "
            f"adjudication-template.tsv): add them to {adjudication.name} to build the set"
        )
        return 0
    adjudicated = read_adjudicated(adjudication, differing, problems)
    if problems.errors:
        problems.report()
        return 1
    payload = build_set(
        judging, args.data, args.out, cv_order=cv_order, a=a, b=b, adjudicated=adjudicated
    )
    write_json(args.out, payload)
    labelled = load(args.out, args.data)  # refuses a set no system could be scored on
    final = Counter(g for grades in labelled.judgments.values() for g in grades.values())
    print(
        f"wrote {args.out}: {len(labelled.queries)} CVs, {len(labelled.documents)} jobs, "
        f"{sum(final.values())} judged pairs, grades {dict(sorted(final.items()))}, "
        f"{len(labelled.judged_queries())} CVs with a relevant job"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
