"""The real data beside the project (`../shared/data`), read in place, never copied.

Judged sets refer to its CVs (by a hash of their text) and its job postings (by
``source:source_id``); the texts are read from here whenever a set is loaded, so the
project's tree holds ids, grades and notes only.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from workers.evaluation.dataset import DatasetError, Document, as_document
from workers.pipelines.ingest import read_jobs_file

RESPONSES = Path("api-responses")
RESUMES = Path("resumes") / "kaggle-updated-resume-dataset.csv"


def text_hash(text: str) -> str:
    """How a set names a CV of the shared data: SHA-256 of its stripped text."""
    return hashlib.sha256(text.strip().encode()).hexdigest()


def read_resumes(data_dir: Path) -> list[tuple[str, str]]:
    """(text, category) of each distinct CV of the shared file, in file order."""
    path = data_dir / RESUMES
    if not path.exists():
        raise DatasetError(f"{path} is missing; the shared data set is incomplete")
    csv.field_size_limit(sys.maxsize)
    seen: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text, category = row["Resume_str"].strip(), row["Category"].strip()
            if text and category and text not in seen:
                seen[text] = category
    return list(seen.items())


def job_catalog(data_dir: Path) -> list[Document]:
    """Every job of the saved API responses, parsed by the product, exact duplicates dropped.

    A document's id is ``source:source_id``; of jobs with the same title, company and
    description the first (by file name, then order in the file) is kept.
    """
    documents: list[Document] = []
    seen: set[tuple[str, str, str]] = set()
    ids: set[str] = set()
    for path in sorted((data_dir / RESPONSES).glob("*.json")):
        source, parsed = read_jobs_file(path, None)
        for job in parsed.records:
            key = (job.title, job.company, job.description)
            doc_id = f"{source}:{job.source_id}"
            if key not in seen and doc_id not in ids:
                seen.add(key)
                ids.add(doc_id)
                documents.append(as_document(doc_id, job))
    if not documents:
        raise DatasetError(f"no job responses under {data_dir / RESPONSES}")
    return documents


def resume_texts(data_dir: Path) -> dict[str, tuple[str, str]]:
    """Every shared CV by `text_hash`: (text, category)."""
    return {text_hash(text): (text, category) for text, category in read_resumes(data_dir)}


def resolve_texts(raw: dict[str, Any], set_path: Path, data_dir: Path | None) -> dict[str, Any]:
    """A set whose texts live in the shared data (`"texts": {"from": "shared-data",
    "data_dir": <relative to the set>}`), with its CVs' and jobs' texts read in."""
    where = data_dir or (set_path.parent / raw["texts"]["data_dir"]).resolve()
    if not where.is_dir():
        raise DatasetError(
            f"{set_path.name} reads its texts from the shared data, not found at {where}; "
            "pass --data-dir DIR"
        )
    resumes = resume_texts(where)
    queries = []
    for query in raw["queries"]:
        if query["text_sha256"] not in resumes:
            raise DatasetError(f"CV {query['id']} is not in {where / RESUMES}")
        text, category = resumes[query["text_sha256"]]
        queries.append({"id": query["id"], "text": text, "category": category})
    documents = [asdict(doc) for doc in job_catalog(where)]
    return {**raw, "queries": queries, "documents": documents}
