"""`jobmatch eval` end to end on a small labelled set, with the real bundled model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from workers.evaluation.dataset import Document, LabelledSet, Query, save

DOCUMENTS = [
    Document("py", "Backend Python Engineer", "Build APIs with Django and PostgreSQL."),
    Document("java", "Java Developer", "Spring Boot microservices, Kafka, Kubernetes."),
    Document("nurse", "Registered Nurse", "Care for patients on the cardiology ward."),
    Document("sales", "Account Executive", "Close deals with enterprise customers, quota."),
    Document("teacher", "Primary School Teacher", "Teach maths and reading to children."),
    Document("chef", "Sous Chef", "Run the kitchen line of a busy restaurant."),
]
QUERIES = [
    Query("q-py", "Python developer, five years of Django REST APIs and PostgreSQL."),
    Query("q-nurse", "Registered nurse with ICU and cardiology ward experience."),
    Query("q-sales", "Sales professional, B2B account management, exceeded quota."),
]
JUDGMENTS = {
    "q-py": {"py": 2, "java": 1},
    "q-nurse": {"nurse": 2},
    "q-sales": {"sales": 2},
}


def _eval(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    labelled = LabelledSet("tiny", QUERIES, DOCUMENTS, JUDGMENTS)
    set_file = tmp_path / "tiny.json"
    save(labelled, set_file)
    command = [sys.executable, "-m", "server.cli.main", "eval", "--set", str(set_file), *args]
    return subprocess.run(
        command,
        env={**os.environ, "JOBMATCH_HOME": str(tmp_path / "home"), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_eval_reports_every_system_with_intervals_and_a_chart(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = _eval(
        tmp_path,
        *("--backend", "torch", "--long-text", "truncate", "--long-text", "chunk"),
        *("--long-text", "chunk", "--lexical", "0", "--out", str(out), "--json"),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report == json.loads((out / "report.json").read_text())
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")
    systems = report["systems"]
    # The options asked, first; a repeated option runs once; then both baselines.
    model = "sentence-transformers/all-MiniLM-L6-v2"
    assert [s["model"] for s in systems] == [model, model, "bm25", "char-tfidf"]
    assert [s["text_options"]["long_text"] for s in systems[:2]] == ["truncate", "chunk"]
    for system in systems:
        assert len(system["per_query"]) == 3
        for name, estimate in system["metrics"].items():
            assert 0.0 <= estimate["low"] <= estimate["mean"] <= estimate["high"] <= 1.0, name
    first, second = systems[0], systems[1]
    # These queries are unambiguous: the real model puts each one's job first.
    assert first["metrics"]["mrr"]["mean"] == 1.0
    assert first["texts_per_second"] > 0
    assert first["versus_first"] == {}
    paired = second["versus_first"]["ndcg@10"]
    per_query = [
        b["metrics"]["ndcg@10"] - a["metrics"]["ndcg@10"]
        for a, b in zip(first["per_query"], second["per_query"], strict=True)
    ]
    assert paired["mean"] == sum(per_query) / 3


def test_the_table_fits_80_columns_and_the_feedback_session_runs(tmp_path: Path) -> None:
    result = _eval(tmp_path, "--lexical", "0.3", "--feedback", "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    table = lines[: lines.index("")]
    assert max(len(line) for line in table) <= 80
    assert any(line.startswith(" 3  ") for line in table)  # the model, BM25, char TF-IDF
    assert "feedback (system 1" in result.stdout
