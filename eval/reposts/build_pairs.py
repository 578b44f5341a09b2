"""Build the reading sample of the repost rule: real same-company pairs near the threshold.

Every pair of postings of one company (`company_key`) with compatible places and cosine
similarity in [--low, --high] under the real model (float32 puts identical texts a hair
above 1) goes to `pairs.jsonl` (keys, titles, places, similarity) and to `packet.md`, the
text a person reads to label each pair (it quotes the postings, so it is not committed:
the data stays in ../shared/data). The packet shows neither the similarity nor the
rule's decision: labels are written first
(`labels.tsv`), then compared (`bench/reposts.py`).

    .venv/bin/python eval/reposts/build_pairs.py [--shared-data ../shared/data]
        [--low 0.78] [--high 1.01]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from bench.reposts import SHARED, RealJobs, real_jobs, record_key  # noqa: E402
from embeddings.reposts import Pair, similar_pairs  # noqa: E402
from schema.queries.jobs import JobRecord  # noqa: E402

HEAD = 500  # characters of each description shown in full
DIFFERENT = 600  # characters of the sentences only one posting has


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=SHARED)
    parser.add_argument("--low", type=float, default=0.78)
    parser.add_argument("--high", type=float, default=1.01)
    args = parser.parse_args()
    jobs = real_jobs(args.shared_data)
    pairs = [
        p for p in similar_pairs(jobs.postings, jobs.vectors, args.low) if p.similarity <= args.high
    ]
    pairs.sort(key=lambda p: (jobs.postings[p.a].company_key, p.a, p.b))
    write_pairs(jobs, pairs, HERE / "pairs.jsonl")
    write_packet(jobs, pairs, HERE / "packet.md")
    print(f"{len(pairs)} pairs written to {HERE}")


def write_pairs(jobs: RealJobs, pairs: list[Pair], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for number, pair in enumerate(pairs, 1):
            a, b = jobs.records[pair.a], jobs.records[pair.b]
            row = {
                "pair": number,
                "a": record_key(a),
                "b": record_key(b),
                "company": a.company,
                "title_a": a.title,
                "title_b": b.title,
                "location_a": a.location,
                "location_b": b.location,
                "similarity": round(pair.similarity, 4),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_packet(jobs: RealJobs, pairs: list[Pair], path: Path) -> None:
    lines = ["# Repost pairs to read: same job or different jobs?", ""]
    for number, pair in enumerate(pairs, 1):
        a, b = jobs.records[pair.a], jobs.records[pair.b]
        lines += [f"## pair {number}: {a.company}", ""]
        lines += _side("A", a, b) + _side("B", b, a)
    path.write_text("\n".join(lines), encoding="utf-8")


def _side(name: str, job: JobRecord, other: JobRecord) -> list[str]:
    own = [s for s in _sentences(job.description) if s not in set(_sentences(other.description))]
    return [
        f"**{name}** `{record_key(job)}` — **{job.title}** — {job.location or '(no place)'}"
        f" — {job.posted_at:%Y-%m-%d}",
        f"> {job.description[:HEAD]}",
        f"> only here: {' '.join(own)[:DIFFERENT] or '(nothing)'}",
        "",
    ]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


if __name__ == "__main__":
    main()
