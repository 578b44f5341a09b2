"""The unjudged jobs in a model's top K on a judged set: the pairs a new pool round adds.

Prints a JSON list of [cv_id, doc_id] for `extend_pool.py`. Only ids are printed, never a
rank or a score, so the list can go to the graders' pool without telling them anything.
`--held-out` keeps the CVs of `jobmatch tune`'s held-out split (the ones a tuned model is
reported on).

    .venv/bin/python eval/tools/unjudged_top.py --set eval/sets/judged-cv-jobs.json \\
        --model /path/to/tuned --held-out > pairs.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from server.cli.embed import load
from workers.evaluation import dataset
from workers.evaluation.run import SystemSpec, top_documents
from workers.pipelines.tune_pairs import split_set
from workers.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, required=True, help="a graded set")
    parser.add_argument("--model", required=True, help="model folder or name")
    parser.add_argument("--backend", default="torch", help="as the tune card scores (torch)")
    parser.add_argument("--depth", type=int, default=10, help="top K of each CV (10)")
    parser.add_argument("--held-out", action="store_true", help="only the held-out split")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    labelled = dataset.load(args.set, args.data_dir)
    if args.held_out:
        labelled = split_set(labelled)[1]
    settings = Settings.from_env(os.environ)
    spec = SystemSpec(args.model, args.backend)
    top = top_documents(labelled, spec, lambda name, b: load(settings, name, b), args.depth)
    pairs = [
        [cv, doc]
        for cv, docs in sorted(top.items())
        for doc in docs
        if doc not in labelled.judgments.get(cv, {})
    ]
    json.dump(pairs, sys.stdout)
    print(f"{len(pairs)} unjudged pairs over {len(top)} CVs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
