"""The brute-force reference `bench/recommend.py` checks the nightly run against.

Written apart from the product's code: every score of the nightly formula computed in
plain numpy and Python sets, a full sort, the exclusions and the company cap. The
formula, as the product documents it:

- the query is the CV's vector moved by the user's feedback: plus 0.5 × the mean of the
  vectors of jobs they applied to, saved or voted up, minus 0.25 × the mean of those
  they voted down, then normalised;
- the lexical score: BM25 (k1 1.2, b 0.75, idf ln(1 + (N − n + 0.5) / (n + 0.5)) over the
  catalog) of the CV's 40 most telling words (by (1 + ln count) × idf, ties to the
  smaller key) in each job, divided by the CV's best such score in the catalog;
- the score: (cosine + w × lexical) / (1 + w).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from embeddings.feedback import DEFAULT_PULL, DEFAULT_PUSH
from workers.pipelines.recommend_options import DEFAULT_LEXICAL_WEIGHT

CATALOG = (
    "SELECT j.id, lower(trim(j.company)), e.embedding, t.keys, t.counts FROM jobs j"
    " JOIN job_embeddings e ON e.job_id = j.id"
    " LEFT JOIN job_terms t ON t.job_id = j.id AND t.content_hash = j.content_hash"
    " WHERE j.posted_at >= now() - interval '7 days'"
)
USERS = (
    "SELECT c.user_id, e.embedding, t.keys, t.counts FROM cvs c"
    " JOIN cv_embeddings e ON e.cv_id = c.id"
    " LEFT JOIN cv_terms t ON t.cv_id = c.id AND t.content_hash = c.content_hash"
    " WHERE c.user_id = ANY(%(ids)s) AND c.is_active"
)
FEEDBACK = (
    "SELECT f.user_id, f.sign, e.embedding FROM ("
    " SELECT user_id, job_id, 1 AS sign FROM applications UNION"
    " SELECT user_id, job_id, 1 FROM saved_jobs UNION"
    " SELECT user_id, job_id, CASE vote WHEN 'up' THEN 1 ELSE -1 END FROM feedback) AS f"
    " JOIN job_embeddings e ON e.job_id = f.job_id WHERE f.user_id = ANY(%(ids)s)"
)


def _counts(keys: bytes | None, counts: bytes | None) -> dict[int, int]:
    return dict(
        zip(
            np.frombuffer(keys or b"", dtype="<i8").tolist(),
            np.frombuffer(counts or b"", dtype="<i4").tolist(),
            strict=True,
        )
    )


def reference_lists(url: str, user_ids: list[int], cap: int = 3) -> dict[int, list[int]]:
    """Each user's top 50 by the nightly formula (users without preferences only)."""
    params = {"ids": user_ids}
    with psycopg.connect(url) as conn:
        register_vector(conn)
        jobs = conn.execute(CATALOG).fetchall()
        users = conn.execute(USERS, params).fetchall()
        acted = conn.execute(FEEDBACK, params).fetchall()
        banned = set(
            conn.execute(
                "SELECT user_id, job_id FROM applications UNION"
                " SELECT user_id, job_id FROM feedback WHERE vote = 'down'"
            ).fetchall()
        )
    matrix = np.stack([np.asarray(row[2].to_numpy()) for row in jobs])
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    weights, idf = _bm25_weights([_counts(row[3], row[4]) for row in jobs])
    out = {}
    for user, vector, keys, counts in users:
        query = _moved(vector.to_numpy(), [(s, v.to_numpy()) for u, s, v in acted if u == user])
        telling = _telling(_counts(keys, counts), idf)
        lexical = np.array([sum(w.get(t, 0.0) for t in telling) for w in weights])
        lexical /= max(float(lexical.max()), 1e-9)
        weight = DEFAULT_LEXICAL_WEIGHT
        scores = (matrix @ query + weight * lexical) / (1 + weight)
        out[user] = _capped(user, np.argsort(-scores, kind="stable"), jobs, banned, cap)
    return out


def _bm25_weights(jobs: list[dict[int, int]]) -> tuple[list[dict[int, float]], dict[int, float]]:
    frequency = Counter(term for counts in jobs for term in counts)
    total = len(jobs)
    idf = {t: math.log1p((total - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}
    lengths = [sum(counts.values()) for counts in jobs]
    average = sum(lengths) / max(total, 1)
    weights = []
    for counts, length in zip(jobs, lengths, strict=True):
        norm = 1.2 * (0.25 + 0.75 * length / average)
        weights.append({t: idf[t] * tf * 2.2 / (tf + norm) for t, tf in counts.items()})
    return weights, idf


def _telling(counts: dict[int, int], idf: dict[int, float], limit: int = 40) -> list[int]:
    known = [t for t in counts if t in idf]
    known.sort(key=lambda t: (-(1 + math.log(counts[t])) * idf[t], t))
    return known[:limit]


def _moved(vector: np.ndarray, acted: list[tuple[int, np.ndarray]]) -> np.ndarray:
    query = vector / np.linalg.norm(vector)
    liked = [v for sign, v in acted if sign > 0]
    disliked = [v for sign, v in acted if sign < 0]
    if liked:
        query = query + DEFAULT_PULL * np.mean(liked, axis=0)
    if disliked:
        query = query - DEFAULT_PUSH * np.mean(disliked, axis=0)
    return np.asarray(query / np.linalg.norm(query))


Row = tuple[object, ...]


def _capped(user: int, order: np.ndarray, jobs: list[Row], banned: set[Row], cap: int) -> list[int]:
    seen: dict[str, int] = {}
    picked: list[int] = []
    for row in order:
        job_id, company = int(str(jobs[row][0])), str(jobs[row][1])
        if (user, job_id) in banned or seen.get(company, 0) >= cap:
            continue
        seen[company] = seen.get(company, 0) + 1
        picked.append(job_id)
        if len(picked) == 50:
            break
    return picked
