"""The daily closed-postings check: the jobs in users' top places asked whether they are
still open (workers/posting_check.py), every check recorded, closed jobs marked.

Results are written in batches as they come, each batch with its closed marks in one
transaction: a run cut short keeps what it found, and a closed job leaves every list at
the next read. A job checked in the last `FRESH_HOURS` is not asked again, so a manual
run after the nightly one does not knock on the same doors twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from schema.database import connection
from schema.queries import job_checks as q
from workers.posting_check import CheckResult, Posting, check_postings
from workers.settings import PostingCheck

FRESH_HOURS = 20
BATCH = 50


@dataclass
class CheckSummary:
    """How many jobs were checked, by outcome, and how many were newly closed."""

    checked: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    closed_jobs: int = 0

    def counts(self) -> dict[str, object]:
        """The summary as `task_runs.counts`."""
        by_outcome = {outcome: self.outcomes[outcome] for outcome in q.OUTCOMES}
        return {"checked": self.checked, **by_outcome, "newly_closed": self.closed_jobs}


def check_closed(
    url: str,
    config: PostingCheck,
    *,
    limit: int | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CheckSummary:
    """Check the open jobs in any user's first `config.top` places (at most `limit`);
    `progress(done, total)` after each."""
    now = now or datetime.now(UTC)
    summary = CheckSummary()
    with connection(url, autocommit=True, vectors=False) as conn:
        fresh_after = now - timedelta(hours=FRESH_HOURS)
        targets = q.jobs_to_check(
            conn, top=config.top, now=now, fresh_after=fresh_after, limit=limit
        )
        pending: list[q.NewCheck] = []

        def flush() -> None:
            summary.closed_jobs += q.record_checks(conn, pending)
            pending.clear()

        def on_result(result: CheckResult) -> None:
            summary.checked += 1
            summary.outcomes[result.outcome.value] += 1
            pending.append(_as_row(result))
            if len(pending) >= BATCH:
                flush()
            if progress is not None:
                progress(summary.checked, len(targets))

        postings = [Posting(target.job_id, target.url) for target in targets]
        try:
            check_postings(postings, config, on_result)
        finally:
            flush()
    return summary


def _as_row(result: CheckResult) -> q.NewCheck:
    return q.NewCheck(
        job_id=result.job_id,
        checked_at=result.checked_at,
        outcome=result.outcome.value,
        http_status=result.http_status,
        final_url=result.final_url,
        detail=result.detail,
    )
