"""Embedding throughput per backend on real postings, and how far each strays from fp32.

Parses the saved API responses in `../shared/data/api-responses/` with the product's own
source parsers, prepares each job with `embeddings.text.job_text` (the model reads 256
word pieces; postings are longer, so nearly every text runs at the full 256), and
encodes the same texts with torch fp32 (the naive reference) and every other backend.
Backends are timed interleaved at a fine grain: the texts are cut into slices of
`--slice`, and each slice is encoded by every backend back to back (in rotating order),
round after round, so load from other processes on the machine hits each backend alike.
texts/s is all texts over all time per backend; the ratio is the median over slices of
torch fp32's time over the backend's time on the same slice, seconds apart.

Quality against torch fp32: mean and minimum cosine between each text's two vectors, and
the mean overlap of the top-10 neighbours, job to job and CV to job (real CVs from
`../shared/data/resumes/` as queries). Also printed: CPU seconds per 100 texts, which a
busy machine distorts less than wall time.

    .venv/bin/python bench/embed.py [--texts 256] [--slice 64] [--rounds 2] [--threads 2]
        [--backends torch-bf16,onnx-int8,openvino-bf16,openvino-int8]

The first run quantises the model for openvino-int8 (cached in the temp dir for later
runs; not timed).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings.loader import DEFAULT_MODEL, load_embedder  # noqa: E402
from embeddings.model import Embedder, Vectors  # noqa: E402
from embeddings.text import job_text  # noqa: E402
from workers.sources import Adzuna, Arbeitnow, RemoteOK, Remotive, TheMuse  # noqa: E402
from workers.sources.base import JobSource  # noqa: E402

DATA = ROOT / ".." / "shared" / "data"
FILES: list[tuple[JobSource, str]] = [
    (RemoteOK(), "remoteok-2026-03-17.json"),
    (Remotive(), "remotive-2026-07-18.json"),
    (TheMuse(), "themuse-results-mixed.json"),
    (Arbeitnow(), "arbeitnow-2026-05.json"),
    (Adzuna("id", "key", country="us"), "adzuna-us-2025-07.json"),
]


def posting_texts(limit: int) -> list[str]:
    """Prepared texts of real postings, every source represented, in a fixed order."""
    per_source = []
    for source, name in FILES:
        body = json.loads((DATA / "api-responses" / name).read_text(encoding="utf-8"))
        per_source.append([job_text(r) for r in source.parse(body).records])
    texts: list[str] = []
    while len(texts) < limit and any(per_source):
        for pool in per_source:  # round robin, so a small --texts still mixes sources
            if pool and len(texts) < limit:
                texts.append(pool.pop(0))
    return texts


def cv_texts(limit: int) -> list[str]:
    """Distinct real CVs (the file repeats rows)."""
    path = DATA / "resumes" / "kaggle-updated-resume-dataset.csv"
    csv.field_size_limit(10_000_000)
    with path.open(encoding="utf-8") as handle:
        bodies = list(dict.fromkeys(row["Resume_str"] for row in csv.DictReader(handle)))
    return bodies[:limit]


def top10(queries: Vectors, items: Vectors, same: bool) -> np.ndarray:
    scores = queries @ items.T
    if same:
        np.fill_diagonal(scores, -np.inf)
    return np.argsort(-scores, axis=1)[:, :10]


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b, strict=True)]))


def timed(embedder: Embedder, texts: list[str]) -> tuple[float, float, Vectors]:
    """(wall seconds, CPU seconds of this process, vectors) of one encode call."""
    start, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.encode(texts)
    return time.perf_counter() - start, time.process_time() - cpu, vectors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--cvs", type=int, default=60)
    parser.add_argument("--slice", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--backends", default="torch-bf16,onnx-int8,openvino-bf16,openvino-int8")
    args = parser.parse_args()
    if not (DATA / "api-responses").exists():
        print(f"real data absent: {DATA / 'api-responses'} not found")
        return 1
    texts, cvs = posting_texts(args.texts), cv_texts(args.cvs)
    cache = Path(tempfile.gettempdir()) / "jobmatch-bench-models"
    names = ["torch", *[b for b in args.backends.split(",") if b and b != "torch"]]
    embedders = {
        b: load_embedder(DEFAULT_MODEL, backend=b, threads=args.threads, cache_dir=cache)
        for b in names
    }
    reference = embedders["torch"]
    tokens = [len(ids) for ids in reference.model.tokenizer(texts)["input_ids"]]  # type: ignore[attr-defined]
    print(
        f"{len(texts)} real postings, {sum(t >= 256 for t in tokens)} of them ≥ 256 word "
        f"pieces (median {int(np.median(tokens))}); model reads 256; threads {args.threads}"
    )
    seconds, cpu, vectors = measure(embedders, texts, args.slice, args.rounds)
    cv_vectors = {b: e.encode(cvs) for b, e in embedders.items()}
    report(names, len(texts) * args.rounds, seconds, vectors, cv_vectors)
    # CPU seconds are less swayed by other processes than wall time (threads that wait
    # for a core are not charged), so they cross-check the ratio on a busy machine.
    per_100 = {b: 100 * cpu[b] / (len(texts) * args.rounds) for b in names}
    print(
        "CPU seconds per 100 texts: "
        + ", ".join(f"{b} {per_100[b]:.1f} ({cpu['torch'] / cpu[b]:.2f}× fp32)" for b in names)
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


def measure(
    embedders: dict[str, Embedder], texts: list[str], size: int, rounds: int
) -> tuple[dict[str, list[float]], dict[str, float], dict[str, Vectors]]:
    """Per backend: wall seconds per slice, total CPU seconds, vectors of every text."""
    names = list(embedders)
    for embedder in embedders.values():
        embedder.encode(texts[:8])  # warm-up: first-call allocations, graph compilation
    seconds: dict[str, list[float]] = {b: [] for b in names}
    cpu: dict[str, float] = dict.fromkeys(names, 0.0)
    parts: dict[str, list[Vectors]] = {b: [] for b in names}
    slices = [texts[i : i + size] for i in range(0, len(texts), size)]
    for round_no in range(rounds):
        for slice_no, part in enumerate(slices):
            shift = (round_no * len(slices) + slice_no) % len(names)
            for backend in names[shift:] + names[:shift]:
                spent, used, vectors = timed(embedders[backend], part)
                seconds[backend].append(spent)
                cpu[backend] += used
                if round_no == 0:
                    parts[backend].append(vectors)
    return seconds, cpu, {b: np.vstack(parts[b]) for b in names}


def report(
    names: list[str],
    texts: int,
    seconds: dict[str, list[float]],
    vectors: dict[str, Vectors],
    cv_vectors: dict[str, Vectors],
) -> None:
    ref, ref_cv = vectors["torch"], cv_vectors["torch"]
    jobs_ref, cvs_ref = top10(ref, ref, True), top10(ref_cv, ref, False)
    print(
        f"{'backend':<15}{'texts/s':>9}{'× fp32':>8}{'ratio p25-p75':>15}"
        f"{'cos mean':>10}{'cos min':>9}{'job top10':>10}{'cv top10':>9}"
    )
    for backend in names:
        ratios = [r / s for s, r in zip(seconds[backend], seconds["torch"], strict=True)]
        quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
        cos = (vectors[backend] * ref).sum(axis=1)
        job_overlap = overlap(jobs_ref, top10(vectors[backend], vectors[backend], True))
        cv_overlap = overlap(cvs_ref, top10(cv_vectors[backend], vectors[backend], False))
        spread = f"{quartiles[0]:.2f}-{quartiles[2]:.2f}"
        print(
            f"{backend:<15}{texts / sum(seconds[backend]):>9.1f}{statistics.median(ratios):>8.2f}"
            f"{spread:>15}{cos.mean():>10.5f}{cos.min():>9.5f}{job_overlap:>10.3f}"
            f"{cv_overlap:>9.3f}"
        )


if __name__ == "__main__":
    sys.exit(main())
