"""Labelled sets: CVs as queries, jobs as documents, graded relevance between them.

On disk a labelled set is one JSON file (the format is documented in README.md):

    {"name": str, "derived": bool, "note": str,
     "queries":   [{"id": str, "text": str, "category": str | null}],
     "documents": [{"id": str, "title": str, "company": str, "location": str,
                    "tags": [str], "category": str | null, "description": str}],
     "judgments": {query_id: {document_id: grade}}}

Grades are integers: 0 = not relevant (or a negative signal), higher = more relevant.
Documents without a judgment for a query count as grade 0.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from schema.queries.evaluation import EvaluationJob
from schema.queries.jobs import JobRecord


class DatasetError(ValueError):
    """The labelled set file is missing, malformed, or has no usable query."""


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    category: str | None = None


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    description: str
    company: str = ""
    location: str = ""
    tags: tuple[str, ...] = ()
    category: str | None = None
    remote: bool = False


@dataclass(frozen=True)
class LabelledSet:
    name: str
    queries: list[Query]
    documents: list[Document]
    judgments: dict[str, dict[str, int]]
    derived: bool = False
    note: str = ""
    stats: dict[str, int] = field(default_factory=dict)

    def judged_queries(self) -> list[Query]:
        """Queries with at least one relevant document: the others cannot be scored."""
        return [
            q for q in self.queries if any(g > 0 for g in self.judgments.get(q.id, {}).values())
        ]


def save(labelled: LabelledSet, path: Path) -> None:
    """Write `labelled` as the documented JSON format."""
    payload = asdict(labelled)
    payload.pop("stats")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


def load(path: Path, data_dir: Path | None = None) -> LabelledSet:
    """Read a labelled set, refusing a malformed one with the reason.

    A set may keep only ids of the shared data's CVs and jobs (`"texts"`, see
    `shared_data.resolve_texts`); their texts are then read from `data_dir` (default: the
    folder the set names, relative to itself).
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(raw.get("texts"), dict):
            from workers.evaluation.shared_data import resolve_texts

            raw = resolve_texts(raw, path, data_dir)
        labelled = LabelledSet(
            name=str(raw["name"]),
            queries=[Query(**q) for q in raw["queries"]],
            documents=[
                Document(**{**d, "tags": tuple(d.get("tags", ()))}) for d in raw["documents"]
            ],
            judgments={
                str(q): {str(d): int(g) for d, g in docs.items()}
                for q, docs in raw["judgments"].items()
            },
            derived=bool(raw.get("derived", False)),
            note=str(raw.get("note", "")),
        )
    except FileNotFoundError as error:
        raise DatasetError(f"no labelled set at {path}") from error
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise DatasetError(
            f"{path} is not a labelled set ({type(error).__name__}: {error})"
        ) from error
    if not labelled.judged_queries():
        raise DatasetError(f"{path} has no query with a relevant document; nothing to evaluate")
    return labelled


def as_document(document_id: str, job: JobRecord | EvaluationJob) -> Document:
    """A job as an evaluation document under `document_id`."""
    return Document(
        id=document_id,
        title=job.title,
        description=job.description,
        company=job.company,
        location=job.location,
        tags=tuple(job.tags),
        category=job.category,
        remote=job.remote,
    )
