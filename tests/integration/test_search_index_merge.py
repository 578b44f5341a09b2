"""Merging the search index's pending entries on a second connection during a stream."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schema.database import Connection
from schema.queries.jobs import UpsertCounts
from tests.integration.test_ingest_stream import chunk, text_hits
from tests.integration.test_ingest_upsert import job
from workers.pipelines.ingest_stream import store_stream
from workers.pipelines.search_index_merge import PendingMerger, pending_merger


def _pending_pages(conn: Connection) -> int:
    """Pages still in the index's pending list (merging them now, which a test may do)."""
    row = conn.execute("SELECT gin_clean_pending_list('jobs_search_idx'::regclass)").fetchone()
    assert row is not None
    return int(str(row[0]))


def _jobs(start: int, count: int) -> Iterator[object]:
    for n in range(start, start + count):
        yield job("remotive", f"m-{n}", title=f"Engineer {n}", description=f"Rust and Go {n}.")


def test_a_stream_with_a_merger_leaves_the_index_merged_and_searchable(
    db_url: str, conn: Connection
) -> None:
    chunks = [chunk(*_jobs(0, 60)), chunk(*_jobs(60, 60)), chunk(*_jobs(120, 60))]
    with pending_merger(db_url) as merger:
        assert merger is not None
        totals = store_stream(conn, iter(chunks), merger=merger)
    assert totals.counts == UpsertCounts(new=180)
    assert _pending_pages(conn) == 0  # the merger's last merge followed the commit
    assert len(text_hits(conn, "rust")) == 10  # the search's limit
    # The deferral was local to the stream's transaction.
    assert conn.execute("SHOW gin_pending_list_limit").fetchone() == ("4MB",)


def test_without_merging_the_inserts_leave_entries_pending(db_url: str, conn: Connection) -> None:
    # What the merger is for: with merging deferred and nobody merging, entries wait.
    with conn.transaction():
        conn.execute("SET LOCAL gin_pending_list_limit = '1GB'")
        store_stream(conn, iter([chunk(*_jobs(0, 60))]))
    assert _pending_pages(conn) > 0


def test_a_role_that_may_not_merge_gets_no_merger(db_url: str, conn: Connection) -> None:
    conn.execute("DROP ROLE IF EXISTS jobmatch_not_owner")
    conn.execute("CREATE ROLE jobmatch_not_owner LOGIN")
    try:
        params = conninfo_to_dict(db_url)
        params["user"] = "jobmatch_not_owner"
        params.pop("password", None)
        assert PendingMerger.start(make_conninfo("", **params)) is None
    finally:
        conn.execute("DROP ROLE jobmatch_not_owner")


@pytest.mark.parametrize("fail_after", [0, 1])
def test_a_failed_stream_still_closes_its_merger(
    db_url: str, conn: Connection, fail_after: int
) -> None:
    def chunks() -> Iterator[object]:
        for number in range(fail_after):
            yield chunk(*_jobs(60 * number, 60))
        raise RuntimeError("truncated page")

    with pytest.raises(RuntimeError, match="truncated page"), pending_merger(db_url) as merger:
        store_stream(conn, chunks(), merger=merger)  # type: ignore[arg-type]
    assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (0,)
