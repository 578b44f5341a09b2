"""The closed-postings check against a real local job site: each kind of answer, the
limits that cut a hanging, looping or endless URL, and the politeness rules."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest

from tests.posting_server import PostingSite, posting_site
from workers.posting_check import CheckResult, Outcome, Posting, check_postings, left_the_posting
from workers.settings import PostingCheck

FAST = PostingCheck(
    host_interval_s=0.2,
    timeout_s=1.0,
    max_body_bytes=100_000,
    retry_after_max_s=5.0,
    contact="ops@example.org",
)


@pytest.fixture
def site() -> Iterator[PostingSite]:
    with posting_site(slow_s=5.0) as running:
        yield running


def _check(urls: list[str], config: PostingCheck = FAST) -> dict[str, CheckResult]:
    """Each URL's result, by URL."""
    results: list[CheckResult] = []
    check_postings([Posting(n, url) for n, url in enumerate(urls)], config, results.append)
    by_id = {result.job_id: result for result in results}
    assert sorted(by_id) == list(range(len(urls)))  # every posting answered, once
    return {url: by_id[n] for n, url in enumerate(urls)}


def test_each_kind_of_answer(site: PostingSite) -> None:
    expected = {
        "open": (Outcome.OPEN, 200),
        "gone404": (Outcome.CLOSED, 404),
        "gone410": (Outcome.CLOSED, 410),
        "to-search": (Outcome.CLOSED, 200),
        "to-home": (Outcome.CLOSED, 200),
        "renamed": (Outcome.OPEN, 200),
        "nohead": (Outcome.OPEN, 200),
        "broken": (Outcome.UNKNOWN, 500),
    }
    urls = {kind: site.url(kind, "job-4711") for kind in expected}
    results = _check(list(urls.values()))
    found = {kind: (results[url].outcome, results[url].http_status) for kind, url in urls.items()}
    assert found == expected
    assert results[urls["to-search"]].final_url == f"{site.base}/search?q=engineer"
    assert results[urls["renamed"]].final_url == f"{site.base}/renamed-to/job-4711"


def test_head_refused_then_get(site: PostingSite) -> None:
    _check([site.url("nohead", "7")])
    assert [(hit.method, hit.path) for hit in site.hits] == [
        ("HEAD", "/nohead/7"),
        ("GET", "/nohead/7"),
    ]


def test_a_gone_head_is_confirmed_by_a_get(site: PostingSite) -> None:
    _check([site.url("gone410", "8")])
    assert [hit.method for hit in site.hits] == ["HEAD", "GET"]


def test_every_request_names_jobmatch_and_the_contact(site: PostingSite) -> None:
    _check([site.url("open", "1"), site.url("to-search", "2")])
    agents = {hit.user_agent for hit in site.hits}
    assert len(agents) == 1
    (agent,) = agents
    assert agent.startswith("jobmatch-posting-check/")
    assert "ops@example.org" in agent


def test_a_redirect_loop_is_unknown(site: PostingSite) -> None:
    result = _check([site.url("loop", "9")])[site.url("loop", "9")]
    assert result.outcome is Outcome.UNKNOWN
    assert "redirect" in result.detail
    assert len(site.hits) <= 6  # stopped at the first URL seen twice


def test_a_hanging_url_times_out_as_unknown(site: PostingSite) -> None:
    started = time.monotonic()
    result = _check([site.url("slow", "3")])[site.url("slow", "3")]
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == "timed out"
    assert time.monotonic() - started < site.slow_s  # cut by the timeout, not the server


def test_a_dripping_body_is_cut_by_the_whole_request_limit(site: PostingSite) -> None:
    # A byte every half second never trips the read timeout (1 s); the request's own
    # limit (twice the timeout) does.
    started = time.monotonic()
    result = _check([site.url("drip", "4")])[site.url("drip", "4")]
    assert (result.outcome, result.detail) == (Outcome.UNKNOWN, "timed out")
    assert time.monotonic() - started < 10


def test_a_huge_body_is_cut_and_unknown(site: PostingSite) -> None:
    result = _check([site.url("huge", "5")])[site.url("huge", "5")]
    assert result.outcome is Outcome.UNKNOWN
    assert "cut" in result.detail
    # The server stops at the first write after the client hangs up: what it managed to
    # send is socket buffers' worth, nowhere near its 200 MB.
    deadline = time.monotonic() + 5
    while site.huge_sent == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 0 < site.huge_sent < 20_000_000


def test_retry_after_is_honoured_then_open(site: PostingSite) -> None:
    result = _check([site.url("busy", "6")])[site.url("busy", "6")]
    assert (result.outcome, result.http_status) == (Outcome.OPEN, 200)
    heads = [hit for hit in site.hits if hit.path == "/busy/6"]
    assert len(heads) == 2
    assert heads[1].at - heads[0].at >= 1.0  # Retry-After: 1


def test_a_retry_after_beyond_the_cap_is_unknown_not_waited(site: PostingSite) -> None:
    config = PostingCheck(host_interval_s=0.1, timeout_s=1.0, retry_after_max_s=0.5)
    result = _check([site.url("busy", "8")], config)[site.url("busy", "8")]
    assert (result.outcome, result.http_status) == (Outcome.UNKNOWN, 503)
    assert len(site.hits) == 1


def test_a_429_is_retried_once_after_backing_off_then_unknown(site: PostingSite) -> None:
    result = _check([site.url("limited", "12")])[site.url("limited", "12")]
    assert (result.outcome, result.http_status) == (Outcome.UNKNOWN, 429)
    asked = [hit.at for hit in site.hits]
    assert len(asked) == 2
    assert asked[1] - asked[0] >= 5 * FAST.host_interval_s * 0.95  # five intervals


def test_a_refused_connection_and_a_bad_url_are_unknown() -> None:
    with posting_site() as gone:
        closed_port = gone.url("open", "1")
    results = _check([closed_port, "ftp://example.org/job/1", "http://[bad"])
    assert {result.outcome for result in results.values()} == {Outcome.UNKNOWN}


def test_one_host_is_asked_one_at_a_time_and_no_faster_than_the_interval(
    site: PostingSite,
) -> None:
    with posting_site() as other:
        urls = [site.url("open", str(n)) for n in range(6)]
        urls += [other.url("open", str(n)) for n in range(6)]
        _check(urls)
        for host in (site, other):
            starts = sorted(hit.at for hit in host.hits)
            gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
            assert len(starts) == 6
            assert min(gaps) >= FAST.host_interval_s * 0.95  # clock granularity
        # The two hosts were asked side by side, not one after the other.
        assert min(hit.at for hit in other.hits) < max(hit.at for hit in site.hits)


@pytest.mark.parametrize(
    ("original", "final", "left"),
    [
        ("https://x.com/jobs/123-python-dev", "https://x.com/", True),
        ("https://x.com/jobs/123-python-dev", "https://x.com/jobs", True),
        ("https://x.com/jobs/123-python-dev", "https://x.com/jobs/?q=python", True),
        ("https://x.com/jobs/123-python-dev", "https://x.com/job-expired", True),
        ("https://x.com/jobs/123-python-dev", "https://x.com/jobs/123-python-dev/", False),
        ("http://x.com/jobs/123-python-dev", "https://www.x.com/jobs/123-python-dev", False),
        # An aggregator's tracking link landing on the employer's own posting.
        ("https://agg.com/land/ad/555", "https://employer.com/careers/backend-engineer", False),
        ("https://agg.com/land/ad/555", "https://employer.com/careers", True),
        ("https://x.com/", "https://x.com/", False),  # no key to lose: never judged left
    ],
)
def test_the_redirect_rule(original: str, final: str, left: bool) -> None:
    assert left_the_posting(original, final) is left
