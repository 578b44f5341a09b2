"""The daily digest's cost, against the naive way measured in the same run.

A scratch database gets `--jobs` jobs and `--users` people who opted in, each with a
stored list of 50; then:

- reading what is due: the digest's read (the new ones among a person's top 10, one
  query each) against the naive way (each person's whole page as the API serves it,
  `read_list`, filtered in Python against the jobs already mailed);
- sending: the digests through one SMTP session to a real server on 127.0.0.1
  (aiosmtpd, a dev dependency), against the same work (read, write, send, record) over
  a new connection per mail; blocks of `--block` people alternate between the two, so a
  change in the machine's load during the run weighs on both alike.

The lists carry no shared terms (the reason functions take their short path), so the
reads measure the list and job lookups rather than the writing of quoted reasons.

    .venv/bin/python bench/digest.py [--users 2000] [--jobs 5000] [--block 250]
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from embeddings.evidence import NOTHING_SHARED
from schema.database import Connection, connection
from schema.migrate import scratch_database
from schema.queries.list_pages import read_list
from schema.queries.models import activate_model, register_model
from schema.queries.notifications import digest_recipients, record_digest, unsent_top_matches
from tests.smtp_server import smtp_server
from workers.pipelines.digest import DEPTH, send_digests
from workers.pipelines.digest_mail import compose_digest
from workers.settings import Settings, SmtpServer

LIST_LENGTH = 50


def build(url: str, users: int, jobs: int) -> None:
    """Jobs, people with a CV and a stored list of 50 each, all opted in."""
    now = datetime.now(UTC)
    with connection(url, autocommit=True, vectors=False) as conn:
        model = register_model(conn, "bench-model", 8)
        activate_model(conn, model.id)
        conn.execute(
            "INSERT INTO jobs (source, source_id, title, company, location, url, posted_at,"
            " content_hash)"
            " SELECT 'bench', g::text, 'Engineer ' || g, 'Company ' || (g %% 500), 'Berlin',"
            " 'https://jobs.example.org/' || g, now(), sha256(g::text::bytea)"
            " FROM generate_series(1, %(jobs)s) g",
            {"jobs": jobs},
        )
        conn.execute(
            "INSERT INTO users (email, name) SELECT 'person' || g || '@bench.test',"
            " 'Person ' || g FROM generate_series(1, %(users)s) g",
            {"users": users},
        )
        conn.execute(
            "INSERT INTO cvs (user_id, body, content_hash)"
            " SELECT id, 'A CV', sha256(id::text::bytea) FROM users"
        )
        # Each list: 50 jobs from a per-person offset in the catalog, best first.
        conn.execute(
            "INSERT INTO recommendation_lists (user_id, named_cv_id, model_id, job_ids, scores,"
            " evidence, fits, cv_id, generated_at, expires_at)"
            " SELECT c.user_id, c.named_cv_id, %(model)s,"
            "  array(SELECT j.id FROM jobs j ORDER BY j.id"
            "        OFFSET (c.user_id * 37) %% (%(jobs)s - %(n)s) LIMIT %(n)s),"
            "  array_fill(0.5::real, ARRAY[%(n)s]), array_fill(%(nothing)s::bigint, ARRAY[%(n)s]),"
            "  array_fill(NULL::text, ARRAY[%(n)s]), c.id, %(now)s, %(expires)s"
            " FROM cvs c",
            {
                "model": model.id,
                "jobs": jobs,
                "n": LIST_LENGTH,
                "nothing": NOTHING_SHARED,
                "now": now,
                "expires": now + timedelta(days=3),
            },
        )
        conn.execute(
            "INSERT INTO notification_settings (user_id, digest_enabled, unsubscribe_token)"
            " SELECT id, true, md5(id::text) FROM users"
        )
        conn.execute("ANALYZE")


def naive_due(conn: Connection, user_id: int) -> int:
    """A person's whole page as the API reads it, filtered in Python."""
    page = json.loads(read_list(conn, user_id).items)
    rows = conn.execute(
        "SELECT job_id FROM digest_sent_jobs WHERE user_id = %(u)s", {"u": user_id}
    ).fetchall()
    sent = {int(str(row[0])) for row in rows}
    return len([item for item in page[:DEPTH] if item["job"]["id"] not in sent])


def digest_due(conn: Connection, user_id: int) -> int:
    """The digest's own read: the unsent ones among the person's top 10."""
    return len(unsent_top_matches(conn, user_id, DEPTH))


def compare_reads(url: str) -> dict[str, float]:
    """Seconds each way took over every person, the two asked in turn for each person
    (first one, then the other), so the machine's load weighs on both alike."""
    ways: dict[str, Callable[[Connection, int], int]] = {"digest": digest_due, "naive": naive_due}
    took = dict.fromkeys(ways, 0.0)
    with connection(url, autocommit=True, vectors=False) as conn:
        for number, person in enumerate(digest_recipients(conn)):
            order = list(ways) if number % 2 else list(reversed(ways))
            counts = set()
            for way in order:
                start = time.perf_counter()
                counts.add(ways[way](conn, person.user_id))
                took[way] += time.perf_counter() - start
            assert len(counts) == 1, (person.user_id, counts)  # both find the same jobs
    return took


def opt_in_only(url: str, user_ids: list[int]) -> None:
    with connection(url, autocommit=True, vectors=False) as conn:
        conn.execute(
            "UPDATE notification_settings SET digest_enabled = (user_id = ANY (%(ids)s))",
            {"ids": user_ids},
        )


def naive_send(url: str, port: int) -> int:
    """Each opted-in person's digest over a connection of its own, recorded as the
    digest does."""
    with connection(url, autocommit=True, vectors=False) as conn:
        people = digest_recipients(conn)
        for person in people:
            matches = unsent_top_matches(conn, person.user_id, DEPTH)
            message = compose_digest(
                person, matches, public_url="https://jobs.example.org", mail_from="b@bench.test"
            )
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                client.send_message(message)
            record_digest(conn, person.user_id, [m.job_id for m in matches])
    return len(people)


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--block", type=int, default=250, help="people per alternating block")
    args = parser.parse_args()
    with scratch_database("jobmatch-bench-digest-") as url, TemporaryDirectory() as home:
        build(url, args.users, args.jobs)
        took = compare_reads(url)
        people = args.users
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{people:,} people, {args.jobs:,} jobs, lists of {LIST_LENGTH}; load {load}")
        print(
            f"what is due: digest read {took['digest'] * 1000 / people:.3f} ms a person,"
            f" the page filtered in Python {took['naive'] * 1000 / people:.3f} ms:"
            f" {took['naive'] / took['digest']:.1f}x"
        )
        with smtp_server() as smtp:
            settings = Settings(
                home=Path(home),
                smtp=SmtpServer("127.0.0.1", smtp.port, "none"),
                mail_from="b@bench.test",
                public_url="https://jobs.example.org",
            )
            ids = list(range(1, people + 1))
            blocks = [ids[at : at + args.block] for at in range(0, people, args.block)]
            took = {"session": 0.0, "naive": 0.0}
            mails = {"session": 0, "naive": 0}
            for number, block in enumerate(blocks):
                opt_in_only(url, block)
                way = "naive" if number % 2 else "session"
                run = (
                    (lambda: naive_send(url, smtp.port))
                    if way == "naive"
                    else (lambda: send_digests(url, settings).sent)
                )
                seconds, sent = timed(run)
                took[way] += seconds
                mails[way] += sent
            received = len(smtp.inbox.received)
        assert received == people == sum(mails.values())
        per_mail = {way: took[way] / mails[way] for way in took}
        print(
            f"sending (read, write, send, record): one session {per_mail['session'] * 1000:.2f}"
            f" ms a mail ({mails['session']:,} mails), a connection per mail"
            f" {per_mail['naive'] * 1000:.2f} ms ({mails['naive']:,}):"
            f" {per_mail['naive'] / per_mail['session']:.1f}x"
        )


if __name__ == "__main__":
    main()
