"""Labelled sets from what exists: the real data in `shared/data`, or the product's own signals."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from schema.database import connection
from schema.queries.evaluation import (
    interaction_grades,
    jobs_for_evaluation,
    user_cvs,
)
from workers.evaluation.categories import CV_TO_JOB_CATEGORIES, grade
from workers.evaluation.dataset import DatasetError, Document, LabelledSet, Query, as_document
from workers.evaluation.shared_data import read_resumes
from workers.pipelines.ingest import read_jobs_file

# Responses whose jobs carry a category label (RemoteOK and Arbeitnow have none).
CATEGORISED_RESPONSES = (
    "remotive-2026-07-18.json",
    "themuse-results-mixed.json",
    "adzuna-us-2025-07.json",
)
# Labels that say nothing about the field: such jobs are left out rather than called irrelevant.
UNINFORMATIVE_CATEGORIES = frozenset({"Unknown", "All others"})

DERIVED_NOTE = (
    "Relevance is DERIVED from category labels, not judged by people: a CV's Kaggle category "
    "is mapped by hand to the job boards' categories (grade 2 = the job's field, 1 = a "
    "neighbouring field, 0 = otherwise). Labels are coarse and noisy; compare systems on it, "
    "do not read its absolute numbers as product quality."
)


def from_shared_data(data_dir: Path) -> LabelledSet:
    """Real CVs (queries) and real categorised postings (documents) from `data_dir`."""
    documents = list(_categorised_jobs(data_dir))
    queries = list(_resumes(data_dir))
    judgments = {
        query.id: {
            doc.id: graded
            for doc in documents
            if (graded := grade(query.category or "", (doc.category or "",))) > 0
        }
        for query in queries
    }
    labelled = LabelledSet(
        name="shared-data-categories",
        queries=queries,
        documents=documents,
        judgments=judgments,
        derived=True,
        note=DERIVED_NOTE,
    )
    judged = {q.id for q in labelled.judged_queries()}
    return LabelledSet(
        name=labelled.name,
        queries=[q for q in queries if q.id in judged],
        documents=documents,
        judgments={q: j for q, j in judgments.items() if q in judged},
        derived=True,
        note=DERIVED_NOTE,
        stats={"queries_without_relevant_job": len(queries) - len(judged)},
    )


def _categorised_jobs(data_dir: Path) -> Iterable[Document]:
    for name in CATEGORISED_RESPONSES:
        path = data_dir / "api-responses" / name
        if not path.exists():
            raise DatasetError(f"{path} is missing; the shared data set is incomplete")
        source, parsed = read_jobs_file(path, None)
        for job in parsed.records:
            if job.category and job.category not in UNINFORMATIVE_CATEGORIES:
                yield as_document(f"{source}:{job.source_id}", job)


def _resumes(data_dir: Path) -> Iterable[Query]:
    """Each distinct resume of a category the mapping knows, once, in file order."""
    known = [(t, c) for t, c in read_resumes(data_dir) if c in CV_TO_JOB_CATEGORIES]
    for number, (text, category) in enumerate(known, start=1):
        yield Query(id=f"cv-{number:04d}", text=text, category=category)


def from_product(url: str, *, max_jobs: int = 5000) -> LabelledSet:
    """Users' own signals: applications (grade 3), saves and up votes (1-2), down votes (0).

    Queries are the active CVs of users with at least one positive signal; documents are
    every judged job plus the most recent `max_jobs` jobs as distractors.
    """
    with connection(url) as conn:
        grades = interaction_grades(conn)
        cvs = user_cvs(conn, list(grades))
        jobs = jobs_for_evaluation(conn, {j for g in grades.values() for j in g}, max_jobs)
    queries = [Query(id=f"user-{user_id}", text=body) for user_id, body in cvs.items()]
    documents = [as_document(f"job-{job.id}", job) for job in jobs]
    judgments = {
        f"user-{user_id}": {f"job-{job_id}": g for job_id, g in user_grades.items()}
        for user_id, user_grades in grades.items()
        if user_id in cvs
    }
    return LabelledSet(
        name="product-signals",
        queries=queries,
        documents=documents,
        judgments=judgments,
        note="Grades from users' own actions: applied 3, saved and voted up 2, saved or "
        "voted up 1, voted down 0 (an explicit negative).",
    )
