"""The closed-postings check over 500 job URLs on a handful of local job sites.

Starts `--hosts` real HTTP servers on 127.0.0.1 (tests/posting_server.py), each holding
an equal share of `--urls` postings: mostly open, some 404/410, some redirected to a
search page, some answering 500, and some that hang past the timeout. Then, in the same
run:

- polite: `workers.posting_check` with `--interval` seconds per host, `--timeout`, and
  its bounded concurrency;
- naive: one GET at a time, following redirects, the same timeout (what a script would do).

Prints each one's wall time, requests per host per second (achieved, from the servers'
own logs, and the shortest gap between two requests to one host against the limit), the
outcomes, and checks that no hanging URL was marked closed.

    .venv/bin/python bench/closed_check.py [--urls 500] [--hosts 5] [--interval 0.1]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.posting_server import PostingSite, posting_site  # noqa: E402
from workers.posting_check import CheckResult, Posting, check_postings  # noqa: E402
from workers.settings import PostingCheck  # noqa: E402

# Per 100 postings of a site: (kind, how many).
MIX = (("open", 78), ("gone404", 6), ("gone410", 4), ("to-search", 4), ("slow", 4), ("broken", 4))


def _postings(sites: list[PostingSite], count: int) -> list[tuple[Posting, str]]:
    """`count` postings spread over the sites in turn, each with its kind."""
    kinds = itertools.cycle([kind for kind, n in MIX for _ in range(n)])
    made = []
    for n in range(count):
        site, kind = sites[n % len(sites)], next(kinds)
        made.append((Posting(n, site.url(kind, f"job-{n}")), kind))
    return made


def _rates(sites: list[PostingSite], since: float) -> tuple[float, float, float]:
    """(mean requests per second per host, the busiest host's, shortest gap on one host)."""
    rates, gaps = [], []
    for site in sites:
        starts = sorted(hit.at for hit in site.hits if hit.at >= since)
        if len(starts) > 1:
            rates.append((len(starts) - 1) / (starts[-1] - starts[0]))
            gaps.append(min(b - a for a, b in itertools.pairwise(starts)))
    return sum(rates) / len(rates), max(rates), min(gaps)


def _polite(postings: list[Posting], config: PostingCheck) -> tuple[float, list[CheckResult]]:
    results: list[CheckResult] = []
    started = time.monotonic()
    check_postings(postings, config, results.append)
    return time.monotonic() - started, results


def _naive(postings: list[Posting], timeout: float) -> tuple[float, Counter[str]]:
    """One GET at a time, redirects followed by httpx; outcomes as status codes."""
    seen: Counter[str] = Counter()
    started = time.monotonic()
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        for posting in postings:
            try:
                seen[str(client.get(posting.url).status_code)] += 1
            except httpx.HTTPError as error:
                seen[type(error).__name__] += 1
    return time.monotonic() - started, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=500)
    parser.add_argument("--hosts", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between requests")
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()
    config = PostingCheck(host_interval_s=args.interval, timeout_s=args.timeout)
    with ExitStack() as stack:
        sites = [stack.enter_context(posting_site(slow_s=3.0)) for _ in range(args.hosts)]
        made = _postings(sites, args.urls)
        postings = [posting for posting, _ in made]
        kinds = {posting.job_id: kind for posting, kind in made}
        print(f"{args.urls} postings on {args.hosts} local hosts; mix per 100: {dict(MIX)}")

        mark = time.monotonic()
        polite_s, results = _polite(postings, config)
        mean_rate, top_rate, gap = _rates(sites, mark)
        outcomes = Counter(result.outcome.value for result in results)
        hung_closed = sum(
            1 for r in results if kinds[r.job_id] == "slow" and r.outcome.value == "closed"
        )
        print(
            f"polite: {polite_s:.1f} s; {mean_rate:.2f} req/s per host (busiest {top_rate:.2f}; "
            f"limit {1 / args.interval:.2f}); shortest gap on one host {gap * 1000:.0f} ms "
            f"(limit {args.interval * 1000:.0f} ms); outcomes {dict(outcomes)}"
        )
        print(f"hanging URLs marked closed: {hung_closed} (must be 0)")

        mark = time.monotonic()
        naive_s, statuses = _naive(postings, args.timeout)
        mean_rate, top_rate, gap = _rates(sites, mark)
        print(
            f"naive (sequential GETs): {naive_s:.1f} s; {mean_rate:.2f} req/s per host while "
            f"on it (busiest {top_rate:.2f}); shortest gap {gap * 1000:.1f} ms; "
            f"answers {dict(statuses)}"
        )
        print(f"polite / naive wall time: {polite_s / naive_s:.2f}")
        if hung_closed:
            raise SystemExit("a hanging URL was marked closed")


if __name__ == "__main__":
    main()
