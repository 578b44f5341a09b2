"""`jobmatch eval` warns when a template leaves documents with no text (they score 0,
so the system's figures say little about the model)."""

from __future__ import annotations

from embeddings.model import Embedder
from embeddings.text import TextOptions
from tests.fakes import FakeEmbedder
from workers.evaluation.dataset import Document, LabelledSet, Query
from workers.evaluation.run import SystemSpec, empty_warnings, evaluate

DOCUMENTS = [
    Document("py", "Backend Python Engineer", "Build APIs with Django and PostgreSQL."),
    Document("nurse", "Registered Nurse", ""),
    Document("chef", "Sous Chef", ""),
]
QUERIES = [Query("q-py", "Python developer with Django"), Query("q-nurse", "Nurse, ICU")]
JUDGMENTS = {"q-py": {"py": 2}, "q-nurse": {"nurse": 2}}


def _load(model: str, backend: str) -> Embedder:
    return FakeEmbedder(model)


def test_a_template_that_empties_documents_is_warned_about_once() -> None:
    labelled = LabelledSet("empty-descriptions", QUERIES, DOCUMENTS, JUDGMENTS)
    description = TextOptions(template="description")
    systems = [
        SystemSpec("fake", text=TextOptions()),
        SystemSpec("fake", text=description),
        SystemSpec("fake", text=TextOptions(template="description", long_text="chunk")),
    ]
    results = evaluate(labelled, systems, _load)
    assert [(r.empty_documents, r.empty_queries) for r in results[:3]] == [(0, 0), (2, 0), (2, 0)]
    assert empty_warnings(results, len(DOCUMENTS), len(QUERIES)) == [
        "warning: template 'description' leaves 2 of 3 documents and 0 of 2 queries empty; "
        "they score 0, so its figures say little (try --template full)"
    ]


def test_no_warning_when_every_document_has_text() -> None:
    labelled = LabelledSet("full", QUERIES, DOCUMENTS, JUDGMENTS)
    results = evaluate(labelled, [SystemSpec("fake")], _load)
    assert empty_warnings(results, len(DOCUMENTS), len(QUERIES)) == []
