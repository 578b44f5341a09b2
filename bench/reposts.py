"""The repost rule on the real saved responses: how many jobs it merges, and how right.

Parses every file in `../shared/data/api-responses/` with the product's own source
parsers, embeds the jobs with the real model (`job_pieces`, default text options: what
`jobmatch embed` stores), applies `embeddings.reposts.collapse`, and prints the number of
jobs, the pairs considered (same company, compatible places, similarity ≥ threshold),
the merges, and the precision of the merged pairs against the labels read by hand in
`eval/reposts/labels.tsv` (a merged pair that is labelled "different" is a wrong merge).

Time: the rule's per-company blocks against the naive way, the similarity of every pair
of jobs (one n×n product) then the company test, measured in the same run on the same
vectors (both must find the same candidate pairs): on the 448 real jobs, and on --scale
copies of them posing as other companies (the naive way grows with the square of the
catalog, the blocks with the sum of the squares of company sizes).

    .venv/bin/python bench/reposts.py [--shared-data ../shared/data] [--threshold 0.96]
        [--repeat 5] [--scale 10]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.embed import FILES  # noqa: E402  (the shared responses the benches read)
from embeddings.loader import DEFAULT_MODEL, load_embedder  # noqa: E402
from embeddings.model import Vectors  # noqa: E402
from embeddings.reposts import (  # noqa: E402
    DEFAULT_THRESHOLD,
    Pair,
    Posting,
    collapse,
    company_key,
    location_key,
    places_compatible,
    similar_pairs,
)
from embeddings.representation import encode_pieces, job_pieces  # noqa: E402
from schema.queries.jobs import JobRecord  # noqa: E402

SHARED = ROOT / ".." / "shared" / "data"
LABELS = ROOT / "eval" / "reposts" / "labels.tsv"


@dataclass(frozen=True)
class RealJobs:
    """The parsed postings (id i is `records[i]`), as the rule sees them, and vectors."""

    records: list[JobRecord]
    postings: list[Posting]
    vectors: Vectors


def real_records(shared: Path) -> list[JobRecord]:
    """Every parsable posting of the saved responses, in file order."""
    records: list[JobRecord] = []
    for source, name in FILES:
        body = json.loads((shared / "api-responses" / name).read_text(encoding="utf-8"))
        records += source.parse(body).records
    return records


def real_jobs(shared: Path, model: str = DEFAULT_MODEL) -> RealJobs:
    """The real postings embedded with the real model; a posting's id is its index."""
    records = real_records(shared)
    embedder = load_embedder(model)
    vectors = encode_pieces(embedder, [job_pieces(record) for record in records])
    postings = [
        Posting(
            id=index,
            company_key=company_key(record.company),
            location_key=location_key(record.location),
            title=record.title,
            posted_at=record.posted_at,
            description_length=len(record.description),
        )
        for index, record in enumerate(records)
    ]
    return RealJobs(records, postings, vectors)


def record_key(record: JobRecord) -> str:
    """A posting's stable name in the eval files: source and the source's own id."""
    return f"{record.source}:{record.source_id}"


def read_labels(path: Path) -> dict[frozenset[str], str]:
    """{the two postings' keys: "same" or "different"} from labels.tsv."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {frozenset((row["a"], row["b"])): row["label"] for row in rows}


def naive_pairs(postings: list[Posting], vectors: Vectors, threshold: float) -> list[Pair]:
    """The naive way: the similarity of every pair of jobs (one n×n product), then the
    company and place tests on the pairs above the threshold."""
    scores = vectors @ vectors.T
    rows, cols = np.nonzero(np.triu(scores >= threshold, k=1))
    found: list[Pair] = []
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        first, second = postings[i], postings[j]
        same_company = first.company_key != "" and first.company_key == second.company_key
        if same_company and places_compatible(first.location_key, second.location_key):
            found.append(Pair(first.id, second.id, float(scores[i, j])))
    return found


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=SHARED)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=int, default=10, help="copies for the larger timing")
    args = parser.parse_args()
    if not (args.shared_data / "api-responses").is_dir():
        sys.exit(f"no saved responses under {args.shared_data}/api-responses")
    jobs = real_jobs(args.shared_data)
    result = collapse(jobs.postings, jobs.vectors, args.threshold)
    print(f"jobs: {len(jobs.postings)}  threshold: {args.threshold}")
    print(f"pairs considered (same company, place, similarity): {result.pairs_considered}")
    print(f"pairs whose titles agree too: {result.pairs_merged}")
    print(f"jobs merged into another: {len(result.duplicate_of)}")
    report_precision(jobs, result.duplicate_of)
    report_time(jobs, args.threshold, args.repeat, args.scale)


def report_precision(jobs: RealJobs, duplicate_of: dict[int, int]) -> None:
    """Each merge (duplicate, canonical) checked against the labels read by hand."""
    labels = read_labels(LABELS)
    right = wrong = unread = 0
    for duplicate, canonical in sorted(duplicate_of.items()):
        keys = frozenset((record_key(jobs.records[duplicate]), record_key(jobs.records[canonical])))
        label = labels.get(keys)
        if label is None:
            unread += 1
        elif label == "same":
            right += 1
        else:
            wrong += 1
            titles = (jobs.records[duplicate].title, jobs.records[canonical].title)
            print(f"  WRONG MERGE: {' | '.join(titles)}")
    judged = right + wrong
    precision = f"{right / judged:.3f}" if judged else "n/a"
    print(
        f"merges read by hand: {judged} (right {right}, wrong {wrong}, not in the sample"
        f" {unread}); precision {precision}; labelled pairs: {len(labels)}"
    )


def report_time(jobs: RealJobs, threshold: float, repeat: int, scale: int) -> None:
    """The rule's candidate search against all pairs, same vectors, same run: on the real
    jobs, and on `scale` copies of them as if each copy were other companies (a larger
    catalog with the same company sizes)."""
    for copies in (1, scale):
        _time_search(*_copies(jobs, copies), threshold, repeat)


def _time_search(postings: list[Posting], vectors: Vectors, threshold: float, repeat: int) -> None:
    blocked = similar_pairs(postings, vectors, threshold)
    naive = naive_pairs(postings, vectors, threshold)
    same = {(p.a, p.b) for p in blocked} == {(p.a, p.b) for p in naive}
    fast = median_seconds(lambda: similar_pairs(postings, vectors, threshold), repeat)
    slow = median_seconds(lambda: naive_pairs(postings, vectors, threshold), repeat)
    print(
        f"candidate search over {len(postings):,} jobs, median of {repeat}:"
        f" per-company blocks {fast * 1000:.1f} ms, naive all pairs {slow * 1000:.1f} ms,"
        f" ratio {slow / fast:.1f}x; same pairs found: {same}"
    )


def _copies(jobs: RealJobs, copies: int) -> tuple[list[Posting], Vectors]:
    """The real postings `copies` times, each copy's companies renamed."""
    postings = [
        replace(p, id=copy * len(jobs.postings) + p.id, company_key=f"{p.company_key}#{copy}")
        for copy in range(copies)
        for p in jobs.postings
    ]
    return postings, np.tile(jobs.vectors, (copies, 1))


if __name__ == "__main__":
    main()
