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


def test_eval_reports_every_system_with_intervals_and_a_chart(tmp_path: Path) -> None:
    labelled = LabelledSet("tiny", QUERIES, DOCUMENTS, JUDGMENTS)
    set_file = tmp_path / "tiny.json"
    save(labelled, set_file)
    out = tmp_path / "report"
    command = [sys.executable, "-m", "server.cli.main", "eval", "--set", str(set_file)]
    command += ["--backend", "torch", "--long-text", "truncate", "--long-text", "chunk"]
    result = subprocess.run(
        [*command, "--out", str(out), "--json"],
        env={**os.environ, "JOBMATCH_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report == json.loads((out / "report.json").read_text())
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")
    systems = report["systems"]
    assert [s["model"] for s in systems] == ["bm25"] + [
        "sentence-transformers/all-MiniLM-L6-v2"
    ] * 2
    assert [s["text_options"]["long_text"] for s in systems[1:]] == ["truncate", "chunk"]
    for system in systems:
        assert len(system["per_query"]) == 3
        for estimate in system["metrics"].values():
            assert 0.0 <= estimate["low"] <= estimate["mean"] <= estimate["high"] <= 1.0
    model = systems[1]
    # These queries are unambiguous: the real model puts each one's job first.
    assert model["metrics"]["mrr"]["mean"] == 1.0
    assert model["texts_per_second"] > 0
