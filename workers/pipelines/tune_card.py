"""Before/after figures of a tuned model and its model card (README.md + tune.json).

Both models are scored with `jobmatch eval`'s machinery (`workers.evaluation.run`): the
product's text representation, dense cosine only (the part tuning changes), the torch
backend for both so the backend is not what differs; the difference is paired by query
with a bootstrap 95% interval.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from embeddings.metrics import Estimate
from workers.evaluation.dataset import LabelledSet
from workers.evaluation.run import LoadEmbedder, SystemSpec, evaluate

REPORTED = ("ndcg@10", "map")
CARD_BACKEND = "torch"


@dataclass(frozen=True)
class Comparison:
    """One reported set: the base's and the tuned model's figures, and tuned − base."""

    set_name: str
    role: str  # "held-out split" of a --set, or "eval set"
    queries: int
    documents: int
    base: dict[str, Estimate]
    tuned: dict[str, Estimate]
    difference: dict[str, Estimate]
    # Share of each model's top 10 that is judged: unjudged jobs count as grade 0, so a
    # tuned model that surfaces unjudged jobs is under-rated until they are judged.
    judged_at_10: tuple[float, float]

    def verdict(self, metric: str) -> str:
        """'better', 'worse' or 'no significant difference' by the paired interval."""
        delta = self.difference[metric]
        if delta.low > 0:
            return "better"
        if delta.high < 0:
            return "worse"
        return "no significant difference"


def compare(
    labelled: LabelledSet, role: str, base: str, tuned: str, load: LoadEmbedder
) -> Comparison:
    """Score `labelled` with the base and the tuned model; tuned minus base, paired."""
    systems = [SystemSpec(base, CARD_BACKEND), SystemSpec(tuned, CARD_BACKEND)]
    before, after = evaluate(labelled, systems, load)
    versus = after.versus_first or {}
    return Comparison(
        set_name=labelled.name,
        role=role,
        queries=len(labelled.judged_queries()),
        documents=len(labelled.documents),
        base={m: before.metrics[m] for m in REPORTED},
        tuned={m: after.metrics[m] for m in REPORTED},
        difference={m: versus[m] for m in REPORTED},
        judged_at_10=(before.metrics["judged@10"].mean, after.metrics["judged@10"].mean),
    )


@dataclass(frozen=True)
class CardFacts:
    base: str
    pairs: dict[str, int]
    steps: int
    epochs: int
    batch_size: int
    max_seq_length: int
    learning_rate: float
    seed: int
    seconds: float
    step_seconds: float
    pairs_per_second: float
    command: str
    comparisons: list[Comparison]


def write_card(folder: Path, facts: CardFacts) -> None:
    """README.md (the model card, for people) and tune.json (the same, for scripts)."""
    (folder / "README.md").write_text(card_text(facts), encoding="utf-8")
    (folder / "tune.json").write_text(json.dumps(asdict(facts), indent=1), encoding="utf-8")


def card_text(facts: CardFacts) -> str:
    """The model card as Markdown."""
    pairs = ", ".join(f"{kind} {count}" for kind, count in facts.pairs.items())
    lines = [
        "# A jobmatch-tuned sentence-transformers model",
        "",
        f"- base: `{facts.base}`",
        f"- training pairs: {pairs}",
        f"- loss: MultipleNegativesRankingLoss (in-batch and hard negatives), "
        f"{facts.epochs} epoch(s), {facts.steps} steps, batch {facts.batch_size}, "
        f"max_seq_length {facts.max_seq_length}, learning rate {facts.learning_rate:g}, "
        f"seed {facts.seed}, CPU",
        f"- training time: {facts.seconds:.0f} s, of which {facts.step_seconds:.0f} s in "
        f"steps ({facts.pairs_per_second:.2f} pairs/s overall, every epoch counted)",
        f"- command: `{facts.command}`",
        "",
        "## Before and after",
        "",
        "Dense cosine of the product's text representation (sections), torch backend for "
        "both; mean over queries with bootstrap 95% intervals; Δ = tuned − base, paired by "
        "query. Held-out splits and eval sets were never trained on (their CVs are left "
        "out of every kind of pair).",
        "",
        "| set | queries | metric | base | tuned | Δ (95% CI) | verdict | judged@10 base, tuned |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for comparison in facts.comparisons:
        for metric in REPORTED:
            lines.append(
                f"| {comparison.set_name}, {comparison.role} | {comparison.queries} | {metric} "
                f"| {_estimate(comparison.base[metric])} | {_estimate(comparison.tuned[metric])} "
                f"| {_delta(comparison.difference[metric])} | {comparison.verdict(metric)} "
                f"| {comparison.judged_at_10[0]:.2f}, {comparison.judged_at_10[1]:.2f} |"
            )
    if not facts.comparisons:
        lines.append("| (no set given: nothing was measured) | | | | | | | |")
    lines += [
        "",
        "`jobmatch tune` registers the model as a shadow set; `jobmatch models activate` "
        "serves it.",
        "",
    ]
    return "\n".join(lines)


def _estimate(value: Estimate) -> str:
    return f"{value.mean:.3f} ({value.low:.3f}–{value.high:.3f})"


def _delta(value: Estimate) -> str:
    return f"{value.mean:+.3f} ({value.low:+.3f}, {value.high:+.3f})"
