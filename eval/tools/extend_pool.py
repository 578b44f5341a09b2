"""Add jobs to the judged pool: new (CV, job) pairs graded in both passes, blind as before.

Input: a JSON list of [cv_id, doc_id] pairs (e.g. the unjudged jobs in the top 10 of
systems compared after the first pool) and a note saying where they come from. For each
CV, the new jobs get the next packet-local labels, in a different seeded order for each
pass; both passes' keys and sheets are extended (the new rows empty), `pool.json`
records the addition, and `--packets-only` of `build_pool.py` writes packets holding
all labels. Graders then fill the empty rows. Pairs already judged are skipped.

    .venv/bin/python eval/tools/extend_pool.py PAIRS.json --round 2 --note "…"
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterable
from pathlib import Path

from build_pool import DEFAULT_OUT, PASSES, SEED, write_json


def new_pairs(judging: Path, pairs: list[list[str]]) -> dict[str, list[str]]:
    """The pairs' jobs by CV, without those already pooled for that CV."""
    keys = json.loads((judging / "packets-A" / "keys.json").read_text(encoding="utf-8"))
    packet_of = {cv: qid for qid, cv in keys["queries"].items()}
    added: dict[str, list[str]] = {}
    for cv, doc in pairs:
        pooled = set(keys["labels"][packet_of[cv]].values()) | set(added.get(cv, []))
        if doc not in pooled:
            added.setdefault(cv, []).append(doc)
    return added


def extend(judging: Path, added: dict[str, list[str]], round_: int) -> int:
    """Append the new jobs to both passes' keys and sheets; the number of new pairs."""
    for pass_name in PASSES:
        keys_path = judging / f"packets-{pass_name}" / "keys.json"
        keys = json.loads(keys_path.read_text(encoding="utf-8"))
        packet_of = {cv: qid for qid, cv in keys["queries"].items()}
        for cv, docs in added.items():
            qid = packet_of[cv]
            labels = keys["labels"][qid]
            order = sorted(docs)
            random.Random(f"{SEED}:round-{round_}:pass-{pass_name}:{qid}").shuffle(order)
            first = len(labels) + 1
            new = {f"J{first + n:02d}": doc for n, doc in enumerate(order)}
            labels.update(new)
            sheet = judging / f"pass-{pass_name}" / f"{qid}.tsv"
            with sheet.open("a", encoding="utf-8") as handle:
                handle.writelines(f"{label}\t\t\n" for label in new)
        write_json(keys_path, keys)
    return sum(len(docs) for docs in added.values())


def record(judging: Path, added: dict[str, list[str]], round_: int, note: str) -> None:
    pool_path = judging / "pool.json"
    pool = json.loads(pool_path.read_text(encoding="utf-8"))
    pool.setdefault("rounds", []).append({"round": round_, "note": note})
    for cv, docs in added.items():
        pool["queries"][cv]["jobs"] += [{"doc": d, "round": round_} for d in docs]
    write_json(pool_path, pool)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("pairs", type=Path, help="JSON list of [cv_id, doc_id]")
    parser.add_argument("--round", type=int, required=True, help="the pool round (2, 3, …)")
    parser.add_argument("--note", required=True, help="where the new pairs come from")
    parser.add_argument("--judging", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(list(argv) if argv is not None else None)
    added = new_pairs(args.judging, json.loads(args.pairs.read_text(encoding="utf-8")))
    if not added:
        print("every pair is already pooled; nothing to add", file=sys.stderr)
        return 0
    count = extend(args.judging, added, args.round)
    record(args.judging, added, args.round, args.note)
    print(f"added {count} pairs for {len(added)} CVs; write the packets with build_pool.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
