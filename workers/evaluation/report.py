"""The evaluation's JSON report and its comparison chart (PNG)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from embeddings.metrics import METRICS
from workers.evaluation.dataset import LabelledSet
from workers.evaluation.feedback import FeedbackResult
from workers.evaluation.run import SystemResult


def report_payload(
    labelled: LabelledSet, results: list[SystemResult], session: FeedbackResult | None = None
) -> dict[str, object]:
    """Everything the run measured, as plain JSON-able data."""
    return {
        "feedback_session": asdict(session) if session is not None else None,
        "generated_at": datetime.now(UTC).isoformat(),
        "labelled_set": {
            "name": labelled.name,
            "derived": labelled.derived,
            "note": labelled.note,
            "queries": len(labelled.judged_queries()),
            "documents": len(labelled.documents),
            **labelled.stats,
        },
        "metrics": list(METRICS),
        "systems": [
            {
                "label": result.spec.label,
                "model": result.spec.model,
                "backend": result.spec.backend,
                "text_options": asdict(result.spec.text),
                "metrics": {name: asdict(value) for name, value in result.metrics.items()},
                "versus_first": {
                    name: asdict(value) for name, value in (result.versus_first or {}).items()
                },
                "texts_per_second": result.texts_per_second,
                "seconds": round(result.seconds, 3),
                "empty_documents": result.empty_documents,
                "empty_queries": result.empty_queries,
                "per_query": [asdict(query) for query in result.per_query],
            }
            for result in results
        ],
    }


def write_report(
    out_dir: Path,
    labelled: LabelledSet,
    results: list[SystemResult],
    session: FeedbackResult | None = None,
) -> tuple[dict[str, object], list[Path]]:
    """Write `report.json` and `chart.png` into `out_dir`; return the report and the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = report_payload(labelled, results, session)
    report = out_dir / "report.json"
    report.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    chart = out_dir / "chart.png"
    _draw_chart(chart, labelled, results)
    return payload, [report, chart]


def _draw_chart(path: Path, labelled: LabelledSet, results: list[SystemResult]) -> None:
    """Grouped bars: one group per metric, one bar per system, 95% intervals as whiskers."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render straight to the file
    import matplotlib.pyplot as plt

    names = list(METRICS)
    width = 0.8 / max(len(results), 1)
    figure, axes = plt.subplots(figsize=(max(7.0, 2.2 * len(names)), 4.5))
    for index, result in enumerate(results):
        means = [result.metrics[n].mean for n in names]
        errors = [
            [m - result.metrics[n].low for m, n in zip(means, names, strict=True)],
            [result.metrics[n].high - m for m, n in zip(means, names, strict=True)],
        ]
        positions = [i + (index - (len(results) - 1) / 2) * width for i in range(len(names))]
        axes.bar(positions, means, width, yerr=errors, capsize=3, label=result.spec.label)
    axes.set_xticks(range(len(names)), names)
    axes.set_ylim(0, 1)
    axes.set_ylabel("mean over queries (95% bootstrap CI)")
    derived = " — labels DERIVED from categories" if labelled.derived else ""
    axes.set_title(f"{labelled.name}: {len(labelled.judged_queries())} queries{derived}")
    axes.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
