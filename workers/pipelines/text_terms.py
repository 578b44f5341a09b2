"""Counting the words of job and CV texts once per text, for the nightly score's lexical
half (`embeddings.lexical`): alongside their profiles, when they are embedded, and as a
named step before the nightly scoring (which only reads them)."""

from __future__ import annotations

from collections.abc import Sequence

from embeddings.lexical import term_counts
from embeddings.text import cv_text, job_text
from schema.database import Connection
from schema.queries import text_terms as tt

PAGE = 1000


def count_jobs(conn: Connection, jobs: Sequence[tt.JobForTerms]) -> int:
    """Count and store these jobs' words; how many."""
    rows = [_stored(job.id, job.content_hash, job_text(job)) for job in jobs]
    tt.store_terms(conn, "job", rows)
    return len(rows)


def count_cvs(conn: Connection, cvs: Sequence[tt.CvForTerms]) -> int:
    """Count and store these CVs' words; how many."""
    rows = [_stored(cv.id, cv.content_hash, cv_text(cv.body)) for cv in cvs]
    tt.store_terms(conn, "cv", rows)
    return len(rows)


def count_pending(conn: Connection) -> int:
    """Count the words of every job and active CV not counted for its current text."""
    done, after = 0, 0
    while jobs := tt.jobs_without_terms(conn, after_id=after, limit=PAGE):
        done += count_jobs(conn, jobs)
        after = jobs[-1].id
    after = 0
    while cvs := tt.cvs_without_terms(conn, after_id=after, limit=PAGE):
        done += count_cvs(conn, cvs)
        after = cvs[-1].id
    return done


def _stored(owner_id: int, content_hash: bytes, text: str) -> tt.StoredTerms:
    keys, counts = term_counts(text).to_bytes()
    return tt.StoredTerms(owner_id, content_hash, keys, counts)
