"""Build the pool and the blind grading packets of the judged CV→job set.

Run from the repository root (a minute or two on CPU: the bundled model embeds every job
and CV three ways):

    .venv/bin/python eval/tools/build_pool.py

What it does, all seeded (`SEED`), so a rerun on the same data writes the same files:

1. picks `CV_COUNT` real CVs from the Kaggle resume file, spread over its categories
   (at most `PER_CATEGORY` each, thin or garbled CVs skipped);
2. builds the catalog: every job of every saved API response, parsed by the product's
   own parsers, exact duplicates (same title, company and description) dropped;
3. ranks the whole catalog for each CV with six systems (`SYSTEMS`) and pools the top
   `DEPTH` of each plus `RANDOM_JOBS` random catalog jobs, going deeper round-robin over
   the systems while a CV's pool is under `MIN_POOL`;
4. writes `judging/pool.json` (the provenance: which system ranked what where; graders
   never open it), `judging/queries.json`, and for each of two independent passes A and
   B, blind packets with a pass-specific shuffle (`packets-X/qNN.md`), the label → job
   key (`packets-X/keys.json`) and an empty grade sheet per packet (`pass-X/qNN.tsv`).

It refuses to overwrite grade sheets that already hold a grade (pass `--force` to
start over). See eval/README.md for the whole procedure.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from embeddings.bm25 import BM25
from embeddings.char_tfidf import CharTfidf
from embeddings.loader import DEFAULT_MODEL, load_embedder
from embeddings.model import Embedder
from embeddings.representation import encode_pieces, text_pieces
from embeddings.text import TextOptions, clean, cv_text, job_text
from workers.evaluation.dataset import Document
from workers.evaluation.shared_data import job_catalog, read_resumes, resume_texts, text_hash

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "eval" / "judging"

SEED = 20260718
CV_COUNT = 40
PER_CATEGORY = 2
MIN_CATEGORIES = 18
MIN_CV_CHARS = 400  # of content, once the dataset's empty boilerplate is removed
DEPTH = 10
RANDOM_JOBS = 3
MIN_POOL = 25
DESCRIPTION_CHARS = 2500
PASSES = ("A", "B")
SECTIONS_HEAD_WEIGHT = 2.0
SECTIONS_HEAD_TAGS = 8
SYSTEMS = ("bm25", "default", "chunk", "sections", "hybrid", "char_tfidf")

Matrix = npt.NDArray[np.float64]

# Headings and empty fields every CV of the Kaggle file carries ("Skill Details",
# "company - ", "description -", "... Exprience - 6 months"): not content.
_BOILERPLATE = re.compile(
    r"Education Details|Skill Details|Company Details|company -|description -"
    r"|Exprience - (?:Less than 1 year|\d+) months",
    re.IGNORECASE,
)
_MOJIBAKE = re.compile(r"[ÃÂ]|â€|ï¿½|\ufffd")


@dataclass(frozen=True)
class Cv:
    id: str
    category: str
    text: str


# ---------------------------------------------------------------- CVs


def content_chars(text: str) -> int:
    """Characters a CV says something with: whitespace and dataset boilerplate removed."""
    return len(clean(_BOILERPLATE.sub(" ", text)))


def is_garbled(text: str) -> bool:
    """Mis-decoded text, or text that is mostly not words (tables of numbers, symbols)."""
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return True
    letters = sum(c.isalpha() for c in visible) / len(visible)
    return len(_MOJIBAKE.findall(text)) >= 3 or letters < 0.7


def slug(category: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-")


def select_cvs(cvs: Sequence[tuple[str, str]], rng: random.Random) -> list[Cv]:
    """`CV_COUNT` usable CVs: one of every category first, then a second in random ones."""
    usable: dict[str, list[str]] = {}
    for text, category in cvs:
        if content_chars(text) >= MIN_CV_CHARS and not is_garbled(text):
            usable.setdefault(category, []).append(text)
    for texts in usable.values():
        rng.shuffle(texts)
    categories = sorted(usable)
    if len(categories) < MIN_CATEGORIES:
        raise SystemExit(f"only {len(categories)} categories have a usable CV")
    picked = dict.fromkeys(categories[:CV_COUNT], 1)
    seconds = [c for c in categories if len(usable[c]) >= PER_CATEGORY]
    missing = CV_COUNT - sum(picked.values())
    if missing > len(seconds) * (PER_CATEGORY - 1):
        raise SystemExit(f"not enough usable CVs for {CV_COUNT} at {PER_CATEGORY} a category")
    for category in rng.sample(seconds, missing) if missing > 0 else []:
        picked[category] += 1
    chosen = [
        Cv(f"cv-{slug(category)}-{n + 1}", category, usable[category][n])
        for category in categories
        for n in range(picked.get(category, 0))
    ]
    rng.shuffle(chosen)  # packet numbers (qNN) say nothing about the category
    return chosen


# ---------------------------------------------------------------- catalog


# ---------------------------------------------------------------- systems


def _lexical(index: Callable[[str], list[float]], cvs: Sequence[Cv]) -> Matrix:
    return np.asarray([index(cv.text) for cv in cvs], dtype=np.float64)


def _zscore(rows: Matrix) -> Matrix:
    std = rows.std(axis=1, keepdims=True)
    scaled = (rows - rows.mean(axis=1, keepdims=True)) / np.where(std > 0, std, 1.0)
    return np.asarray(scaled, dtype=np.float64)


def _sections_vectors(embedder: Embedder, documents: Sequence[Document]) -> Matrix:
    """normalise(2·enc(title, category, first tags) + mean of the description's chunks)."""
    chunked = TextOptions(long_text="chunk")
    heads = []
    for doc in documents:
        parts = [clean(doc.title)]
        if doc.category and clean(doc.category):
            parts.append(f"Category: {clean(doc.category)}")
        tags = [clean(t) for t in doc.tags if clean(t)][:SECTIONS_HEAD_TAGS]
        if tags:
            parts.append(f"Skills: {', '.join(tags)}")
        heads.append(". ".join(p for p in parts if p))
    head = _encode(embedder, heads, TextOptions(long_text="truncate"))
    bodies = [clean(doc.description) or clean(doc.title) for doc in documents]
    # The renormalised mean of the description's windows (embeddings/text.py, "chunk").
    body = _encode(embedder, bodies, chunked)
    joined = SECTIONS_HEAD_WEIGHT * head + body
    norms = np.maximum(np.linalg.norm(joined, axis=1, keepdims=True), 1e-12)
    return np.asarray(joined / norms, dtype=np.float64)


def _encode(embedder: Embedder, texts: Sequence[str], options: TextOptions) -> Matrix:
    pieces = [text_pieces(text, options) for text in texts]
    return encode_pieces(embedder, pieces).astype(np.float64)


def score_all(documents: Sequence[Document], cvs: Sequence[Cv]) -> dict[str, Matrix]:
    """One (CV × job) score matrix per system; higher is better."""
    texts = [job_text(doc) for doc in documents]
    scores: dict[str, Matrix] = {}
    _progress("bm25")
    scores["bm25"] = _lexical(BM25(texts).scores, cvs)
    _progress("char_tfidf")
    scores["char_tfidf"] = _lexical(CharTfidf(texts).scores, cvs)
    embedder = load_embedder(DEFAULT_MODEL)
    vectors: dict[str, tuple[Matrix, Matrix]] = {}
    # "default" is the product's default when the pool was made: the first 256 word pieces.
    pooled = (
        ("default", TextOptions(long_text="truncate")),
        ("chunk", TextOptions(long_text="chunk")),
    )
    for name, options in pooled:
        _progress(f"{name} ({options.signature})")
        doc_vectors = _encode(embedder, [job_text(d, options) for d in documents], options)
        cv_vectors = _encode(embedder, [cv_text(cv.text, options) for cv in cvs], options)
        vectors[name] = (cv_vectors, doc_vectors)
        scores[name] = vectors[name][0] @ vectors[name][1].T
    _progress("sections")
    # The CV side of "sections" is the mean of its whole text's windows: "chunk"'s CV vectors.
    scores["sections"] = vectors["chunk"][0] @ _sections_vectors(embedder, documents).T
    scores["hybrid"] = 0.5 * _zscore(scores["sections"]) + 0.5 * _zscore(scores["bm25"])
    return {name: scores[name] for name in SYSTEMS}


def _progress(message: str) -> None:
    print(f"  ranking: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- pool


@dataclass(frozen=True)
class PoolEntry:
    doc: str
    top: dict[str, int]  # system → rank (1-based) for systems that put it in their top DEPTH
    ranks: dict[str, int]  # system → rank in that system's full ranking
    random: bool
    deepened: bool


def pool_for(
    cv: Cv, orders: dict[str, npt.NDArray[np.int64]], documents: Sequence[Document]
) -> tuple[list[PoolEntry], int]:
    """The pooled jobs of one CV (top DEPTH of each system, random ones, deepening)."""
    positions = {name: np.argsort(order, kind="stable") for name, order in orders.items()}
    chosen: dict[int, str] = {}  # document index → how it got in
    for name in SYSTEMS:
        for index in orders[name][:DEPTH]:
            chosen.setdefault(int(index), "top")
    rng = random.Random(f"{SEED}:random:{cv.id}")
    rest = [i for i in range(len(documents)) if i not in chosen]
    for index in rng.sample(rest, min(RANDOM_JOBS, len(rest))):
        chosen[index] = "random"
    depth = DEPTH
    while len(chosen) < min(MIN_POOL, len(documents)):
        depth += 1
        for name in SYSTEMS:
            if len(chosen) >= MIN_POOL:
                break
            chosen.setdefault(int(orders[name][depth - 1]), "deeper")
    entries = []
    for index, how in chosen.items():
        ranks = {name: int(positions[name][index]) + 1 for name in SYSTEMS}
        entries.append(
            PoolEntry(
                doc=documents[index].id,
                top={name: rank for name, rank in ranks.items() if rank <= DEPTH},
                ranks=ranks,
                random=how == "random",
                deepened=how == "deeper",
            )
        )
    return entries, depth


# ---------------------------------------------------------------- packets


def tidy(text: str) -> str:
    """Spaces collapsed within lines, at most one blank line, no trailing spaces."""
    lines = [re.sub(r"[ \t\f\v\u00a0]+", " ", line).strip() for line in text.splitlines()]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    # A line starting with '#' would read as a packet heading.
    return re.sub(r"^#", r"\\#", out, flags=re.MULTILINE)


def job_block(label: str, doc: Document) -> str:
    description = tidy(doc.description)
    cut = len(description) - DESCRIPTION_CHARS
    if cut > 0:
        description = f"{description[:DESCRIPTION_CHARS]}\n\n[… {cut:,} more characters]"
    tags = ", ".join(clean(t) for t in doc.tags if clean(t))
    return (
        f"## {label}: {clean(doc.title)}\n\n"
        f"- Company: {clean(doc.company) or '(not given)'}\n"
        f"- Location: {clean(doc.location) or '(not given)'}\n"
        f"- Category: {clean(doc.category or '') or '(none)'}\n"
        f"- Tags: {tags or '(none)'}\n\n"
        f"{description}\n"
    )


def packet(qid: str, pass_name: str, cv: Cv, jobs: Sequence[tuple[str, Document]]) -> str:
    header = (
        f"# Packet {qid}, pass {pass_name}\n\n"
        f"Grade each of the {len(jobs)} jobs below against this CV with eval/rubric.md "
        f"(0-3), on its own, with a short note, in eval/judging/pass-{pass_name}/{qid}.tsv. "
        "Job order is random.\n\n"
        "## CV\n\n"
        f"{tidy(cv.text)}\n\n"
        "---\n\n"
        "# Jobs\n"
    )
    return header + "".join(f"\n{job_block(label, doc)}\n---\n" for label, doc in jobs)


def shuffled_pools(qid: str, pooled: Sequence[str]) -> dict[str, list[str]]:
    """The pool in a different seeded order for each pass."""
    orders: dict[str, list[str]] = {}
    for pass_name in PASSES:
        order = sorted(pooled)
        random.Random(f"{SEED}:pass-{pass_name}:{qid}").shuffle(order)
        while any(order == other for other in orders.values()) and len(order) > 1:
            order = order[1:] + order[:1]  # (never in practice: 25! orders)
        orders[pass_name] = order
    return orders


def _graded_sheets(out: Path) -> list[Path]:
    sheets = [p for pass_name in PASSES for p in sorted(out.glob(f"pass-{pass_name}/q*.tsv"))]
    graded = []
    for sheet in sheets:
        rows = sheet.read_text(encoding="utf-8").splitlines()[1:]
        if any(len(cells) > 1 and cells[1].strip() for cells in (r.split("\t") for r in rows)):
            graded.append(sheet)
    return graded


def write_json(path: Path, payload: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_outputs(
    out: Path,
    cvs: Sequence[Cv],
    documents: Sequence[Document],
    pools: Sequence[tuple[list[PoolEntry], int]],
) -> dict[str, int]:
    by_id = {doc.id: doc for doc in documents}
    for pass_name in PASSES:
        for folder in (f"packets-{pass_name}", f"pass-{pass_name}"):
            for old in (out / folder).glob("q*.*"):
                old.unlink()
            (out / folder).mkdir(parents=True, exist_ok=True)
    qids = [f"q{n + 1:02d}" for n in range(len(cvs))]
    write_json(
        out / "queries.json",
        [
            {"id": cv.id, "packet": qid, "category": cv.category, "text_sha256": text_hash(cv.text)}
            for qid, cv in zip(qids, cvs, strict=True)
        ],
    )
    write_json(
        out / "pool.json",
        {
            "note": "PROVENANCE. Graders never open this file. For each CV: the pooled jobs, "
            f"the rank each system gave them (1 = first), `top` = systems ranking them in "
            f"their top {DEPTH}, `random` = drawn at random from the rest of the catalog.",
            "seed": SEED,
            "depth": DEPTH,
            "random_jobs": RANDOM_JOBS,
            "min_pool": MIN_POOL,
            "systems": list(SYSTEMS),
            "catalog_size": len(documents),
            "queries": {
                cv.id: {
                    "packet": qid,
                    "category": cv.category,
                    "depth_reached": depth,
                    "jobs": [
                        {
                            "doc": e.doc,
                            "title": by_id[e.doc].title,
                            "top": e.top,
                            "random": e.random,
                            "deepened": e.deepened,
                            "ranks": e.ranks,
                        }
                        for e in entries
                    ],
                }
                for qid, cv, (entries, depth) in zip(qids, cvs, pools, strict=True)
            },
        },
    )
    chars = 0
    for pass_name in PASSES:
        keys: dict[str, dict[str, str]] = {}
        for qid, cv, (entries, _) in zip(qids, cvs, pools, strict=True):
            order = shuffled_pools(qid, [e.doc for e in entries])[pass_name]
            labels = [(f"J{n + 1:02d}", doc) for n, doc in enumerate(order)]
            keys[qid] = dict(labels)
            text = packet(qid, pass_name, cv, [(label, by_id[doc]) for label, doc in labels])
            chars += len(text)
            (out / f"packets-{pass_name}" / f"{qid}.md").write_text(text, encoding="utf-8")
            sheet = "label\tgrade\tnote\n" + "".join(f"{label}\t\t\n" for label, _ in labels)
            (out / f"pass-{pass_name}" / f"{qid}.tsv").write_text(sheet, encoding="utf-8")
        write_json(
            out / f"packets-{pass_name}" / "keys.json",
            {
                "pass": pass_name,
                "queries": {qid: cv.id for qid, cv in zip(qids, cvs, strict=True)},
                "labels": keys,
            },
        )
    return {"packet_chars": chars}


def _ungraded(sheet: Path) -> set[str]:
    rows = [r.split("\t") for r in sheet.read_text(encoding="utf-8").splitlines()[1:]]
    return {cells[0] for cells in rows if len(cells) < 2 or not cells[1].strip()}


def rewrite_packets(out: Path, data: Path, *, todo: bool = False) -> int:
    """Write both passes' packets again from their keys (the committed pool), the shared
    CV texts and the catalog; the sheets are untouched. With `todo`, a packet holds only
    the jobs its pass's sheet has no grade for yet (a pool extended by `extend_pool.py`),
    and packets with none are not written. Characters written."""
    resumes = resume_texts(data)
    queries = json.loads((out / "queries.json").read_text(encoding="utf-8"))
    cvs = {q["id"]: Cv(q["id"], q["category"], resumes[q["text_sha256"]][0]) for q in queries}
    by_id = {doc.id: doc for doc in job_catalog(data)}
    chars = 0
    for pass_name in PASSES:
        folder = out / f"packets-{pass_name}"
        keys = json.loads((folder / "keys.json").read_text(encoding="utf-8"))
        for qid, cv_id in keys["queries"].items():
            jobs = [(label, by_id[doc]) for label, doc in keys["labels"][qid].items()]
            if todo:
                open_labels = _ungraded(out / f"pass-{pass_name}" / f"{qid}.tsv")
                jobs = [(label, doc) for label, doc in jobs if label in open_labels]
                if not jobs:
                    (folder / f"{qid}.md").unlink(missing_ok=True)
                    continue
            text = packet(qid, pass_name, cvs[cv_id], jobs)
            (folder / f"{qid}.md").write_text(text, encoding="utf-8")
            chars += len(text)
    return chars


# ---------------------------------------------------------------- main


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data dir")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the judging dir")
    parser.add_argument("--force", action="store_true", help="overwrite graded sheets")
    parser.add_argument(
        "--packets-only",
        action="store_true",
        help="write the packets again (they are not committed), keeping the sheets",
    )
    parser.add_argument(
        "--todo", action="store_true", help="like --packets-only, with only ungraded jobs"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    out: Path = args.out
    graded = _graded_sheets(out)
    if args.packets_only or args.todo:
        chars = rewrite_packets(out, args.data, todo=args.todo)
        print(f"packets written again: {chars:,} characters")
        return 0
    if graded and not args.force:
        print(
            f"{len(graded)} grade sheets under {out} already hold grades (e.g. {graded[0]}); "
            "rebuilding would reshuffle the packets under them. Pass --force to start over.",
            file=sys.stderr,
        )
        return 1
    rng = random.Random(SEED)
    cvs = select_cvs(read_resumes(args.data), rng)
    documents = job_catalog(args.data)
    print(f"{len(cvs)} CVs, {len(documents)} jobs", file=sys.stderr)
    scores = score_all(documents, cvs)
    pools = []
    for row, cv in enumerate(cvs):
        orders = {
            name: np.argsort(-scores[name][row], kind="stable").astype(np.int64) for name in SYSTEMS
        }
        pools.append(pool_for(cv, orders, documents))
    sizes = [len(entries) for entries, _ in pools]
    stats = write_outputs(out, cvs, documents, pools)
    categories = sorted({cv.category for cv in cvs})
    print(f"categories ({len(categories)}): {', '.join(categories)}")
    print(
        f"pool sizes: min {min(sizes)}, median {statistics.median(sizes):g}, max {max(sizes)}; "
        f"{sum(sizes)} pairs per pass; packets {stats['packet_chars']:,} characters "
        f"({len(PASSES)} passes)"
    )
    print(f"written under {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
