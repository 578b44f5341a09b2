"""Request and response bodies of the HTTP API, as `msgspec.Struct`s."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

# No NUL anywhere (PostgreSQL text cannot hold one): refused with a 400 before any SQL.
NO_NUL = r"^[^\x00]*$"
Email = Annotated[
    str,
    Meta(min_length=3, max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+$", examples=["a@b.io"]),
]
ShortText = Annotated[str, Meta(max_length=200, pattern=NO_NUL)]
Terms = Annotated[list[ShortText], Meta(max_length=50)]


class ErrorBody(msgspec.Struct):
    """Every error: the status again and what to do about it."""

    status_code: int
    detail: str
    extra: Any = msgspec.UNSET


class Health(msgspec.Struct):
    status: str
    database: str


class NewUser(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    name: Annotated[str, Meta(max_length=200, pattern=NO_NUL)] = ""


class Registered(msgspec.Struct):
    token: str
    detail: str


class NewToken(msgspec.Struct):
    id: int
    token: str


class TokenOut(msgspec.Struct):
    id: int
    created_at: datetime
    current: bool


class Tokens(msgspec.Struct):
    items: list[TokenOut]


class Me(msgspec.Struct):
    id: int
    email: str
    name: str
    created_at: datetime


class CVText(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, Meta(min_length=1, max_length=200_000)]
    filename: Annotated[str, Meta(max_length=255, pattern=NO_NUL)] | None = None


class CVOut(msgspec.Struct):
    id: int
    filename: str | None
    characters: int
    created_at: datetime
    text: str


# A CV's name: 1 to 40 characters, no control characters, no spaces at either end.
CvName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=40,
        pattern=r"^[^\x00-\x1f\s]([^\x00-\x1f]*[^\x00-\x1f\s])?$",
        examples=["backend"],
    ),
]
CvId = Annotated[int, Meta(ge=1, le=2**63 - 1024)]


class NamedCVText(msgspec.Struct, forbid_unknown_fields=True):
    """A new named CV as JSON (a file goes as multipart: `name` and `file`)."""

    name: CvName
    text: Annotated[str, Meta(min_length=1, max_length=200_000)]
    filename: Annotated[str, Meta(max_length=255, pattern=NO_NUL)] | None = None


class CVRename(msgspec.Struct, forbid_unknown_fields=True):
    name: CvName


class NamedCVOut(msgspec.Struct):
    """A named CV: `id` is what `?cv_id=` and `/users/me/cvs/{cv_id}` take; `current` is
    its latest upload."""

    id: int
    name: str
    active: bool
    created_at: datetime
    current: CVOut


class NamedCVs(msgspec.Struct):
    items: list[NamedCVOut]
    limit: int


class RecommendationsPending(msgspec.Struct):
    status: Literal["ready", "generating", "no_cv"]
    detail: str
    poll: str = "/api/v1/jobs/recommendations"


class CVUploaded(msgspec.Struct):
    cv: CVOut
    recommendations: RecommendationsPending
    named_cv_id: int | None = None  # the named CV the upload went to


class NamedCVUploaded(msgspec.Struct):
    named_cv: NamedCVOut
    recommendations: RecommendationsPending


class PreferencesBody(msgspec.Struct, forbid_unknown_fields=True):
    locations: Terms = msgspec.field(default_factory=list)
    remote_only: bool = False
    min_salary: Annotated[float, Meta(ge=0, le=1e9)] | None = None
    excluded_companies: Terms = msgspec.field(default_factory=list)
    keywords: Terms = msgspec.field(default_factory=list)


class JobFields(msgspec.Struct):
    """What every view of a job carries."""

    id: int
    source: str
    title: str
    company: str
    location: str
    remote: bool
    salary_min: float | None
    salary_max: float | None
    salary_currency: str | None
    tags: list[str]
    category: str | None
    url: str
    posted_at: datetime


class OtherPosting(msgspec.Struct):
    """Where else the same job is posted: another board's copy, or a repost."""

    source: str
    url: str


class Job(JobFields):
    """A job in a list: everything but the description, with its first 280 characters,
    and the other postings of the same job (`also_at`; lists show one job per group)."""

    snippet: str
    also_at: list[OtherPosting] = msgspec.field(default_factory=list)


class JobDetail(JobFields):
    """One job with its full description. `closed_at`: when its posting was found closed
    (`jobmatch check-closed`), None while open; `duplicate_of`: the id of the job it is a
    repost of (lists show that one), None when it is the canonical posting."""

    source_id: str
    description: str
    scraped_at: datetime
    also_at: list[OtherPosting] = msgspec.field(default_factory=list)
    closed_at: datetime | None = None
    duplicate_of: int | None = None


class JobPage(msgspec.Struct):
    items: list[Job]
    next_cursor: str | None


class SearchHit(msgspec.Struct):
    score: float
    job: Job


class SearchResults(msgspec.Struct):
    query: str
    mode: Literal["hybrid", "full_text"]
    items: list[SearchHit]


class MatchParts(msgspec.Struct):
    """The parts `match_reason` is written from, for a frontend to highlight ("Why this
    match?"): the job's terms the CV shares, most specific first, as the job writes them
    (a plural and its singular are one term); the CV's line and the job's line holding
    the first of them, as quoted in the sentence ("…" marks where a long line was cut,
    always between words). No shared term: `[]` and nulls."""

    shared_skills: list[str]
    cv_quote: str | None
    job_quote: str | None


class Recommendation(msgspec.Struct):
    rank: int
    match_score: float
    match_reason: str
    match_parts: MatchParts
    job: Job


class Recommendations(msgspec.Struct):
    status: Literal["ready", "generating", "no_cv"]
    detail: str
    generated_at: datetime | None
    expires_at: datetime | None
    model: str | None
    total: int
    offset: int
    limit: int
    items: list[Recommendation]
    cv_id: int | None = None  # the named CV whose list this is (None: the caller has no CV)


class RecommendationsEnvelope(msgspec.Struct):
    """`Recommendations` with its items already rendered to JSON by the database."""

    status: str
    detail: str
    generated_at: datetime | None
    expires_at: datetime | None
    model: str | None
    total: int
    offset: int
    limit: int
    items: msgspec.Raw
    cv_id: int | None = None


class Queued(msgspec.Struct):
    task: str
    queued: bool
    detail: str
    coalesced: bool = False


class SavedMark(msgspec.Struct):
    job_id: int
    saved_at: datetime
    expires_at: datetime


class SavedJob(msgspec.Struct):
    saved_at: datetime
    expires_at: datetime
    job: Job
    # When the posting was found closed (`jobmatch check-closed`); None while open.
    job_closed_at: datetime | None = None


class SavedJobs(msgspec.Struct):
    items: list[SavedJob]
    offset: int
    limit: int


class ApplicationIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, Meta(max_length=5000, pattern=NO_NUL)] = ""


class ApplicationOut(msgspec.Struct):
    id: int
    job_id: int
    status: str
    note: str
    applied_at: datetime


class ApplicationItem(msgspec.Struct):
    id: int
    status: str
    note: str
    applied_at: datetime
    job: Job
    # When the posting was found closed (`jobmatch check-closed`); None while open.
    job_closed_at: datetime | None = None


class Applications(msgspec.Struct):
    items: list[ApplicationItem]
    offset: int
    limit: int


class FeedbackIn(msgspec.Struct, forbid_unknown_fields=True):
    vote: Literal["up", "down"]
    reason: Annotated[str, Meta(max_length=2000, pattern=NO_NUL)] = ""
    # The named CV whose list the vote was cast on (it steers that list); default: active.
    cv_id: CvId | None = None


class FeedbackOut(msgspec.Struct):
    job_id: int
    vote: str
    reason: str
    created_at: datetime


class TaskRunOut(msgspec.Struct):
    id: int
    task: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, Any]
    error: str | None


class PostingChecksOut(msgspec.Struct):
    """Checks of postings by outcome (all kept, and the last 24 hours), closed jobs."""

    checks: dict[str, int]
    last_day: dict[str, int]
    closed_jobs: int
    last_checked_at: datetime | None


class AdminStatus(msgspec.Struct):
    active_model: str | None
    migrations: dict[str, Any]
    counts: dict[str, int]
    last_runs: list[TaskRunOut]
    recent_runs: list[TaskRunOut]
    posting_checks: PostingChecksOut | None = None  # None before migration 019


def job_from_row(row: Any) -> Job:
    """A `Job` from any row carrying the summary columns (see `job_listing.SUMMARY_COLUMNS`)."""
    return Job(
        id=row.id,
        source=row.source,
        title=row.title,
        company=row.company,
        location=row.location,
        remote=row.remote,
        salary_min=row.salary_min,
        salary_max=row.salary_max,
        salary_currency=row.salary_currency,
        tags=row.tags,
        category=row.category,
        url=row.url,
        posted_at=row.posted_at,
        snippet=row.snippet,
        also_at=[OtherPosting(source=o["source"], url=o["url"]) for o in row.also_at],
    )


class Notifications(msgspec.Struct):
    """The caller's feed and digest: both off until turned on."""

    feed: bool
    feed_enabled_at: datetime | None
    digest: bool
    digest_email: str
    last_digest_at: datetime | None
    # Whether this install sends mail at all (JOBMATCH_SMTP_URL set where the API runs).
    mail_configured: bool


class FeedTurnedOn(msgspec.Struct):
    url: str
    detail: str
