"""Profiling job and CV texts for reasons once per text, when they are embedded.

Profiling a real posting or CV (`embeddings.reasons`) is far dearer than reading its
stored profile, and the nightly generation matches every candidate job with every user,
so it reads stored profiles. The embed step makes them for new and changed texts; the
generation's first step makes any still missing (e.g. after the profiling changed), so
its scoring only reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from embeddings.reasons import PROFILE_VERSION, TextProfile, profile_cv, profile_job
from schema.database import Connection
from schema.queries import text_profiles as tp
from workers.pipelines.text_terms import count_pending

PAGE = 1000


def profile_jobs(conn: Connection, texts: Sequence[tp.JobText]) -> dict[int, TextProfile]:
    """Profile these jobs and store the profiles; by job id."""
    made = {t.id: profile_job(t.title, t.tags, t.description) for t in texts}
    tp.store_job_profiles(
        conn, [_stored(t.id, t.content_hash, made[t.id]) for t in texts], PROFILE_VERSION
    )
    return made


def profile_cvs(conn: Connection, texts: Sequence[tp.CvText]) -> dict[int, TextProfile]:
    """Profile these CVs and store the profiles; by CV id."""
    made = {t.id: profile_cv(t.body) for t in texts}
    tp.store_cv_profiles(
        conn, [_stored(t.id, t.content_hash, made[t.id]) for t in texts], PROFILE_VERSION
    )
    return made


def _stored(owner_id: int, content_hash: bytes, profile: TextProfile) -> tp.NewProfile:
    return tp.NewProfile(
        owner_id,
        content_hash,
        profile.keys,
        profile.quote_text,
        profile.quote_starts,
        profile.quote_ends,
        profile.shown,
    )


def profile_pending(conn: Connection) -> int:
    """Profile every job and active CV without a current stored profile; how many."""
    done, after = 0, 0
    while jobs := tp.unprofiled_jobs(conn, PROFILE_VERSION, after_id=after, limit=PAGE):
        done += len(profile_jobs(conn, jobs))
        after = jobs[-1].id
    after = 0
    while cvs := tp.unprofiled_cvs(conn, PROFILE_VERSION, after_id=after, limit=PAGE):
        done += len(profile_cvs(conn, cvs))
        after = cvs[-1].id
    return done


def prepare_texts(conn: Connection) -> int:
    """The step before scoring: profile (for reasons) and count the words of (for the
    lexical score) every job and active CV that lacks them for its current text."""
    return profile_pending(conn) + count_pending(conn)
