"""Embed what is new or changed: jobs and active CVs whose vector is missing or stale.

Called by `jobmatch embed`, by the worker after each scrape (`embed_pending`) and right
after a CV upload (`embed_cv`). Work goes page by page (one transaction per page), so
an interrupted run keeps what it finished and the next run picks up the rest. A model is
registered on first use (dimension checked against what the database holds) and becomes
the active one only when none is active yet, after its vectors are written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol, TypeVar

from embeddings.loader import fingerprint_of
from embeddings.model import Embedder, Vectors
from embeddings.representation import Piece, cv_pieces, encode_pieces, job_pieces
from embeddings.text import TextOptions, model_key
from schema.database import Connection, connection
from schema.queries import vectors as q
from schema.queries.model_sets import coverage
from schema.queries.models import (
    DimensionMismatchError,
    EmbeddingModel,
    activate_if_none,
    model_by_name,
    register_model,
    take_over_stale_active,
)
from schema.queries.text_profiles import CvText
from schema.queries.text_terms import CvForTerms
from workers.pipelines.text_profiles import prepare_texts, profile_cvs
from workers.pipelines.text_terms import count_cvs

# Called with (texts handled so far, texts to handle in this run).
Progress = Callable[[int, int], None]

PAGE = 256


@dataclass
class EmbedSummary:
    """What one run did; `as_counts()` is what the task log stores."""

    model: str
    model_id: int
    backend: str
    jobs_embedded: int = 0
    cvs_embedded: int = 0
    unchanged: int = 0
    skipped_empty: int = 0
    activated: bool = False
    replaced: str | None = None  # the stale active set this one took over (retrained)
    seconds: float = 0.0  # embedding only
    profiled: int = 0  # job and CV texts profiled for reasons (see text_profiles)
    profile_seconds: float = 0.0

    @property
    def embedded(self) -> int:
        return self.jobs_embedded + self.cvs_embedded

    @property
    def texts_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0

    def as_counts(self) -> dict[str, object]:
        """Plain JSON-able figures (for `task_runs.counts` and `--json`)."""
        return {
            **asdict(self),
            "embedded": self.embedded,
            "texts_per_second": self.texts_per_second,
        }


def embed_pending(
    url: str,
    embedder: Embedder,
    *,
    progress: Progress | None = None,
    text_options: TextOptions | None = None,
    page: int = PAGE,
    force: bool = False,
    activate_first: bool = True,
) -> EmbedSummary:
    """Embed every job and active CV whose vector under `embedder`'s model is missing or
    stale (every one with `force`).

    Raises `DimensionMismatchError` when the database holds vectors of another dimension
    for this model name. Empty texts are skipped and counted in `skipped_empty`. When the
    active set is this model's name made by other weights (retrained in place), this set
    takes its place once complete. The first set of an empty registry becomes the active
    one unless `activate_first` is false (a tuned model waits for `models activate`).
    """
    options = text_options or TextOptions()
    started = time.perf_counter()
    with connection(url, autocommit=True) as conn:
        model = prepare_model(conn, embedder, options)
        if force:
            q.mark_set_stale(conn, model.id)
        summary = EmbedSummary(model.name, model.id, getattr(embedder, "backend", "unknown"))
        total = q.count_pending_jobs(conn, model.id) + q.count_pending_cvs(conn, model.id)
        summary.unchanged = q.count_jobs(conn) + q.count_active_cvs(conn) - total
        run = _Run(conn, embedder, model, options, summary, _Ticker(progress, total))
        for jobs in _pages(lambda a: q.pending_jobs(conn, model.id, after_id=a, limit=page)):
            texts = [job_pieces(job, options) for job in jobs]
            summary.jobs_embedded += run.page(texts, [(j.id, j.content_hash) for j in jobs], "job")
        for cvs in _pages(lambda a: q.pending_cvs(conn, model.id, after_id=a, limit=page)):
            texts = [cv_pieces(cv.body, options) for cv in cvs]
            summary.cvs_embedded += run.page(texts, [(c.id, c.content_hash) for c in cvs], "cv")
        summary.activated = activate_first and activate_if_none(conn, model.id)
        summary.replaced = _take_over(conn, model)
        _finish(conn, summary, started)
    return summary


def _take_over(conn: Connection, model: EmbeddingModel) -> str | None:
    """The active set's name when `model`, complete, replaced its stale self; else None."""
    if not coverage(conn)[model.id].complete:
        return None
    return model.name if take_over_stale_active(conn, model) else None


def _finish(conn: Connection, summary: EmbedSummary, started: float) -> None:
    """Close the embedding's clock, then profile new texts for reasons (timed apart)."""
    summary.seconds = time.perf_counter() - started
    summary.profiled = prepare_texts(conn)
    summary.profile_seconds = time.perf_counter() - started - summary.seconds


@dataclass
class _Run:
    """One `embed_pending` pass: embeds a page, counts empties, moves the progress on."""

    conn: Connection
    embedder: Embedder
    model: EmbeddingModel
    options: TextOptions
    summary: EmbedSummary
    tick: _Ticker

    def page(self, texts: list[list[Piece]], keys: list[tuple[int, bytes]], kind: str) -> int:
        """Embed one page of `kind` ('job' or 'cv'); the number embedded."""
        embedded, empty = _embed_page(
            self.conn,
            embedder=self.embedder,
            model=self.model,
            texts=texts,
            keys=keys,
            kind=kind,
        )
        self.summary.skipped_empty += empty
        self.tick(len(texts))
        return embedded


class _Ticker:
    """Reports (done, total) to an optional progress callback."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        self._total = total
        self._done = 0
        if progress:
            progress(0, total)

    def __call__(self, handled: int) -> None:
        self._done += handled
        if self._progress:
            self._progress(self._done, self._total)


def up_to_date(
    url: str, model_name: str, text_options: TextOptions | None = None
) -> EmbedSummary | None:
    """A summary of nothing to do, when `model_name`'s vectors are all current; else None.

    Lets `jobmatch embed` skip loading the model (seconds) when a run would embed nothing.
    """
    started = time.perf_counter()
    with connection(url, autocommit=True) as conn:
        model = model_by_name(conn, model_key(model_name, text_options or TextOptions()))
        if (
            model is None
            or q.count_pending_jobs(conn, model.id)
            or q.count_pending_cvs(conn, model.id)
        ):
            return None
        summary = EmbedSummary(model.name, model.id, "not loaded")
        summary.unchanged = q.count_jobs(conn) + q.count_active_cvs(conn)
        summary.activated = activate_if_none(conn, model.id)
        _finish(conn, summary, started)
    return summary


def embed_cv(
    url: str, embedder: Embedder, cv_id: int, *, text_options: TextOptions | None = None
) -> bool:
    """Embed one CV (a fresh upload) unless its vector is current; True when it embedded.

    A CV that no longer exists, or whose text is empty, is not embedded (False).
    """
    options = text_options or TextOptions()
    with connection(url, autocommit=True) as conn:
        model = prepare_model(conn, embedder, options)
        cv = q.cv_by_id(conn, cv_id)
        if cv is None or q.stored_cv_hash(conn, model.id, cv_id) == cv.content_hash:
            return False
        embedded, _ = _embed_page(
            conn,
            embedder=embedder,
            model=model,
            texts=[cv_pieces(cv.body, options)],
            keys=[(cv.id, cv.content_hash)],
            kind="cv",
        )
        activate_if_none(conn, model.id)
        profile_cvs(conn, [CvText(cv.id, cv.content_hash, cv.body)])
        count_cvs(conn, [CvForTerms(cv.id, cv.content_hash, cv.body)])
        return embedded == 1


def prepare_model(conn: Connection, embedder: Embedder, options: TextOptions) -> EmbeddingModel:
    """The embedder's model row (registered on first use), after the dimension checks."""
    key = model_key(embedder.name, options)
    model = register_model(conn, key, embedder.dimension, fingerprint_of(embedder))
    stored = q.stored_dimension(conn, model.id)
    if stored is not None and stored != embedder.dimension:
        raise DimensionMismatchError(
            f"model {model.name!r} makes {embedder.dimension}-dimensional vectors but the "
            f"database holds {stored}-dimensional ones under that name; register the new model "
            "under another name, or remove the old set with `jobmatch models remove`"
        )
    return model


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


RowT = TypeVar("RowT", bound=_HasId)


def _pages(fetch: Callable[[int], list[RowT]]) -> Iterator[list[RowT]]:
    """Keyset pages of pending rows, fetched lazily so each sees the previous page's writes."""
    after = 0
    while rows := fetch(after):
        yield rows
        after = rows[-1].id


def _embed_page(
    conn: Connection,
    *,
    embedder: Embedder,
    model: EmbeddingModel,
    texts: Sequence[Sequence[Piece]],
    keys: Sequence[tuple[int, bytes]],
    kind: str,
) -> tuple[int, int]:
    """Encode the non-empty texts of one page and store them; (embedded, skipped empty)."""
    keep = [i for i, pieces in enumerate(texts) if pieces]
    empty_ids = [keys[i][0] for i in range(len(texts)) if not texts[i]]
    vectors: Vectors = encode_pieces(embedder, [texts[i] for i in keep])
    if keep and vectors.shape != (len(keep), model.dimension):
        raise DimensionMismatchError(
            f"model {model.name!r} returned vectors of shape {vectors.shape}, expected "
            f"({len(keep)}, {model.dimension})"
        )
    write = q.write_job_vectors if kind == "job" else q.write_cv_vectors
    drop = q.delete_job_vectors if kind == "job" else q.delete_cv_vectors
    with conn.transaction():
        if keep:
            write(conn, model.id, [keys[i] for i in keep], vectors)
        if empty_ids:
            drop(conn, model.id, empty_ids)
    return len(keep), len(empty_ids)
