"""The candidate jobs of one generation run as arrays, and each user's filters over them.

Preferences become boolean masks over the catalog (built once per user, with one mask
per distinct location shared by all users who ask for it); applied and down-voted jobs
become row numbers.

Preference rules: `remote_only` keeps remote jobs; `locations` keeps remote jobs and jobs
whose location contains one of the places (case-insensitive); `min_salary` drops jobs that
state a salary (the maximum, else the minimum) below it and keeps jobs that state none
(most postings do not, and hiding them all would empty most lists); `excluded_companies`
drops those companies (case-insensitive exact names). Currencies are not converted.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from embeddings.diversity import company_codes
from embeddings.evidence import EvidenceFinder, job_key_rows
from embeddings.lexical import LexicalIndex, TermTable
from embeddings.reasons import PROFILE_VERSION
from embeddings.topk import Matrix, normalise
from schema.database import Connection, connection
from schema.queries import generation_reads as q
from schema.queries import text_profiles as tp
from schema.queries import text_terms as tt
from schema.queries.models import EmbeddingModel

Mask = npt.NDArray[np.bool_]
Rows = npt.NDArray[np.int64]


@dataclass
class Catalog:
    """Candidate jobs, row-aligned arrays; per-user masks for the current block."""

    ids: Rows
    evidence: EvidenceFinder
    lexicon: LexicalIndex | None  # None when the score has no lexical half
    vectors: Matrix
    codes: Rows
    company_keys: list[str]
    locations: list[str]
    remote: Mask
    salary_top: npt.NDArray[np.float64]
    row_of: dict[int, int]
    filters: dict[int, q.UserFilter] = field(default_factory=dict)
    allowed: dict[int, Mask] = field(default_factory=dict)
    excluded: dict[int, Rows] = field(default_factory=dict)
    _places: dict[str, Mask] = field(default_factory=dict)

    def prepare_users(self, conn: Connection, user_ids: Sequence[int]) -> None:
        """Load the filters and exclusions of these users (replacing the last block's)."""
        self.filters = {f.user_id: f for f in q.user_filters(conn, user_ids)}
        self.allowed = {}
        for user_id, wishes in self.filters.items():
            mask = self._allowed(wishes)
            if mask is not None:
                self.allowed[user_id] = mask
        gone: dict[int, list[int]] = {}
        for exclusion in q.exclusions(conn, user_ids):
            row = self.row_of.get(exclusion.job_id)
            if row is not None:
                gone.setdefault(exclusion.user_id, []).append(row)
        self.excluded = {user: np.array(rows, dtype=np.int64) for user, rows in gone.items()}

    def banned(self, user_id: int) -> Rows:
        """The catalog rows the user must not get (preference misfits and exclusions)."""
        parts = []
        allowed = self.allowed.get(user_id)
        if allowed is not None:
            parts.append(np.flatnonzero(~allowed))
        excluded = self.excluded.get(user_id)
        if excluded is not None:
            parts.append(excluded)
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def mask_ranked(self, user_id: int, scores: Matrix, rows: Rows) -> None:
        """Set to -inf, in place, the scores of catalog rows `rows` (a ranked subset)
        that the user must not get."""
        allowed = self.allowed.get(user_id)
        if allowed is not None:
            scores[~allowed[rows]] = -np.inf
        excluded = self.excluded.get(user_id)
        if excluded is not None:
            scores[np.isin(rows, excluded)] = -np.inf

    def _allowed(self, wishes: q.UserFilter) -> Mask | None:
        mask = np.ones(len(self.ids), dtype=bool)
        if wishes.remote_only:
            mask &= self.remote
        places = [place.strip().casefold() for place in wishes.locations if place.strip()]
        if places:
            mask &= self.remote | np.logical_or.reduce([self._place(p) for p in places])
        if wishes.min_salary is not None:
            floor = float(wishes.min_salary)
            mask &= np.isnan(self.salary_top) | (self.salary_top >= floor)
        banned = {name.strip().casefold() for name in wishes.excluded_companies}
        if banned:
            mask &= np.array([key not in banned for key in self.company_keys], dtype=bool)
        return None if mask.all() else mask

    def _place(self, place: str) -> Mask:
        if place not in self._places:
            self._places[place] = np.fromiter(
                (place in location.casefold() for location in self.locations),
                dtype=bool,
                count=len(self.locations),
            )
        return self._places[place]


def load_catalog(
    conn: Connection, model: EmbeddingModel, since: datetime, *, lexicon_from: str | None
) -> Catalog:
    """Every job posted since `since` with a vector under `model`, as arrays, with their
    reasons' stored term keys (a job without a current profile has none) and, when the
    score has a lexical half, their BM25 index, read from the database at `lexicon_from`
    on a second connection while this one reads the rest."""
    with ThreadPoolExecutor(1) as pool:
        # The word counts stream in (and the index builds, releasing the GIL) on their
        # own thread and connection, beside the candidates' and the reasons' reads.
        counted = None if lexicon_from is None else pool.submit(_counts, lexicon_from, model, since)
        jobs, vectors = q.candidates(conn, model.id, model.dimension, since)
        ids = np.array([job.id for job in jobs], dtype=np.int64)
        lexicon = None if counted is None else pool.submit(_index, counted.result(), ids)
        keys = _job_keys(conn, model, since, ids)
        companies = [job.company for job in jobs]
        return Catalog(
            ids=ids,
            evidence=EvidenceFinder(job_key_rows(keys)),
            vectors=normalise(vectors),
            codes=company_codes(companies),
            company_keys=[name.strip().casefold() for name in companies],
            locations=[job.location for job in jobs],
            remote=np.array([job.remote for job in jobs], dtype=bool),
            salary_top=np.array([np.nan if j.salary_top is None else j.salary_top for j in jobs]),
            row_of={job.id: row for row, job in enumerate(jobs)},
            lexicon=None if lexicon is None else lexicon.result(),
        )


def _job_keys(conn: Connection, model: EmbeddingModel, since: datetime, ids: Rows) -> list[bytes]:
    """The jobs' stored term keys, in `ids` order."""
    stored = {
        row.owner_id: row.term_keys
        for row in tp.catalog_job_keys(conn, model.id, since, PROFILE_VERSION)
    }
    return [stored.get(job_id, b"") for job_id in ids.tolist()]


def _counts(url: str, model: EmbeddingModel, since: datetime) -> tt.CatalogTerms:
    with connection(url, autocommit=True, vectors=False) as conn:
        return tt.catalog_terms(conn, model.id, since)


def _index(stored: tt.CatalogTerms, ids: Rows) -> LexicalIndex:
    """The BM25 index of the candidates `ids` from the stored word counts (none for a job
    not counted yet; a job counted but not a candidate is left out)."""
    counted, sizes, keys, counts = stored.job_ids, stored.sizes, stored.keys, stored.counts
    # Both are in id order, so the counts stay in place and only the sizes spread out
    # to the candidates' rows. A job embedded since the candidates were read is not one.
    at = np.searchsorted(ids, counted).clip(max=max(len(ids) - 1, 0))
    found = ids[at] == counted if len(ids) else np.zeros(len(counted), dtype=bool)
    if not found.all():
        keep = np.repeat(found, sizes)
        keys, counts, at, sizes = keys[keep], counts[keep], at[found], sizes[found]
    spread = np.zeros(len(ids), dtype=np.int64)
    spread[at] = sizes
    return LexicalIndex(TermTable(keys, counts, spread))
