"""The daily e-mail digest through a real SMTP server on 127.0.0.1: who gets a mail and
what it holds (plain text and HTML, the reasons, an unsubscribe link that works without
signing in), only what is new since the last digest, and failures recorded in
`task_runs` and retried by the next run."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.message import EmailMessage
from html import escape
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest

from schema.database import Connection
from schema.queries.notifications import notification_state, top_matches
from server.cli.main import main
from server.demo import DemoLoad, embed_and_recommend
from tests.fakes import immediate_tasks
from tests.integration.notify_data import FROM, PUBLIC, demo_with_lists, fake_embedders
from tests.integration.recommend_data import add_job
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.web.helpers import post_form, sign_up, web_client
from workers.pipelines.digest import DEPTH
from workers.pipelines.notifications import turn_on_digest
from workers.settings import SmtpServer
from workers.tasks import Tasks


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> DemoLoad:
    return demo_with_lists(db_url, tmp_path)


def _plain_smtp(port: int) -> SmtpServer:
    return SmtpServer(host="127.0.0.1", port=port, security="none")


@pytest.fixture
def make_tasks(db_url: str, tmp_path: Path) -> Iterator[Any]:
    """Immediate-mode tasks sending through `smtp` (None: no JOBMATCH_SMTP_URL)."""
    made: list[Tasks] = []

    def make(smtp: SmtpServer | None) -> Tasks:
        tasks = immediate_tasks(db_url, tmp_path, smtp=smtp, mail_from=FROM, public_url=PUBLIC)
        made.append(tasks)
        return tasks

    yield make
    for tasks in made:
        tasks.huey.storage.close()


def _runs(conn: Connection) -> list[tuple[str, dict[str, Any], str | None]]:
    rows = conn.execute(
        "SELECT status, counts, error FROM task_runs WHERE task = 'send_digests' ORDER BY id"
    ).fetchall()
    return [(str(r[0]), cast(dict[str, Any], r[1]), cast(str | None, r[2])) for r in rows]


def _sent_jobs(conn: Connection, user_id: int) -> set[int]:
    rows = conn.execute(
        "SELECT job_id FROM digest_sent_jobs WHERE user_id = %(u)s", {"u": user_id}
    ).fetchall()
    return {int(str(row[0])) for row in rows}


def _parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and the HTML body."""
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None
    assert html is not None
    return str(plain.get_content()), str(html.get_content())


def _listed(plain: str) -> list[str]:
    """The numbered lines of a digest's plain text: one per job."""
    return re.findall(r"^\d+\. (.+)$", plain, flags=re.MULTILINE)


def _unsubscribe_path(plain: str) -> str:
    match = re.search(r"Stop these e-mails: (\S+)", plain)
    assert match, plain
    return urlsplit(match.group(1)).path


def test_without_an_smtp_url_the_run_is_recorded_as_skipped(
    conn: Connection, demo: DemoLoad, make_tasks: Any
) -> None:
    turn_on_digest(conn, demo.users[0].id)
    make_tasks(None).send_digests()
    ((status, counts, _),) = _runs(conn)
    assert status == "skipped"
    assert counts["skipped"] == "JOBMATCH_SMTP_URL not set"
    assert _sent_jobs(conn, demo.users[0].id) == set()


def test_opted_in_people_get_their_top_matches_in_plain_text_and_html(
    conn: Connection, demo: DemoLoad, make_tasks: Any
) -> None:
    maya = demo.users[0]
    turn_on_digest(conn, maya.id)  # the other two never opted in
    expected = top_matches(conn, maya.id, DEPTH)
    assert len(expected) == DEPTH
    with smtp_server() as smtp:
        make_tasks(_plain_smtp(smtp.port)).send_digests()
    (envelope,) = smtp.inbox.received
    assert envelope.rcpt_tos == [maya.email]
    (message,) = smtp.inbox.messages()
    assert message["From"] == FROM
    assert message["To"] == f"Maya Okafor <{maya.email}>"
    assert message["Subject"] == f"{DEPTH} new job matches for you"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = _parts(message)
    assert len(_listed(plain)) == DEPTH
    for match in expected:
        assert match.title in plain
        assert match.reason in plain
        assert escape(match.title) in html
        assert escape(match.reason) in html
    link = f"{PUBLIC}{_unsubscribe_path(plain)}"
    assert message["List-Unsubscribe"] == f"<{link}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{escape(link)}"' in html
    ((status, counts, error),) = _runs(conn)
    assert (status, error) == ("succeeded", None)
    assert counts | {"dry_run": False} == counts
    assert (counts["recipients"], counts["sent"], counts["jobs_sent"]) == (1, 1, DEPTH)
    assert _sent_jobs(conn, maya.id) == {m.job_id for m in expected}
    assert notification_state(conn, maya.id).last_digest_at is not None


def test_a_later_run_sends_only_what_is_new(
    conn: Connection, db_url: str, tmp_path: Path, demo: DemoLoad, make_tasks: Any
) -> None:
    maya = demo.users[0]
    turn_on_digest(conn, maya.id)
    with smtp_server() as smtp:
        tasks = make_tasks(_plain_smtp(smtp.port))
        tasks.send_digests()
        first = _sent_jobs(conn, maya.id)
        tasks.send_digests()  # nothing new: no mail
        assert len(smtp.inbox.received) == 1
        assert _runs(conn)[-1][1]["nothing_new"] == 1

        # A posting written for her CV arrives, and the lists are made again.
        cv = conn.execute(
            "SELECT body FROM cvs WHERE user_id = %(u)s AND is_active", {"u": maya.id}
        ).fetchone()
        assert cv is not None
        new_job = add_job(conn, None, None, title="Exactly your next job", description=str(cv[0]))
        embed_and_recommend(db_url, fake_embedders(tmp_path), say=lambda _: None)
        tasks.send_digests()
    assert len(smtp.inbox.received) == 2
    fresh = [m for m in top_matches(conn, maya.id, DEPTH) if m.job_id not in first]
    assert new_job in {m.job_id for m in fresh}
    plain, _ = _parts(smtp.inbox.messages()[1])
    assert len(_listed(plain)) == len(fresh)
    assert all(m.title in plain for m in fresh)
    assert _sent_jobs(conn, maya.id) == first | {m.job_id for m in fresh}


def test_the_unsubscribe_link_works_without_signing_in(
    conn: Connection, db_url: str, tmp_path: Path, demo: DemoLoad, make_tasks: Any
) -> None:
    maya = demo.users[0]
    turn_on_digest(conn, maya.id)
    with smtp_server() as smtp:
        tasks = make_tasks(_plain_smtp(smtp.port))
        tasks.send_digests()
        path = _unsubscribe_path(_parts(smtp.inbox.messages()[0])[0])
        with web_client(db_url, tmp_path / "web") as browser:  # nobody signed in
            asked = browser.get(path)
            assert asked.status_code == 200
            assert "Stop the daily e-mail" in asked.text
            assert notification_state(conn, maya.id).digest_enabled  # opening it is not enough
            done = browser.post(path)
            assert done.status_code == 200
            assert "no more digests" in done.text
            assert not notification_state(conn, maya.id).digest_enabled
            assert browser.post("/unsubscribe/not-a-token").status_code == 404

            # A mail program's one-click unsubscribe (RFC 8058) posts the same address.
            turn_on_digest(conn, maya.id)
            one_click = browser.post(path, data={"List-Unsubscribe": "One-Click"})
            assert one_click.status_code == 200
            assert not notification_state(conn, maya.id).digest_enabled
        conn.execute("DELETE FROM digest_sent_jobs")  # she would have news, but opted out
        tasks.send_digests()
    assert len(smtp.inbox.received) == 1
    assert _runs(conn)[-1][1]["recipients"] == 0


def test_a_refused_connection_fails_the_run_and_the_next_run_retries(
    conn: Connection, demo: DemoLoad, make_tasks: Any
) -> None:
    maya = demo.users[0]
    turn_on_digest(conn, maya.id)
    port = free_port()
    tasks = make_tasks(_plain_smtp(port))
    tasks.send_digests()  # nothing listens on the port
    ((status, _, error),) = _runs(conn)
    assert status == "failed"
    assert error is not None
    assert f"could not use the SMTP server 127.0.0.1:{port}" in error
    assert _sent_jobs(conn, maya.id) == set()
    assert notification_state(conn, maya.id).last_digest_at is None
    with smtp_server(port=port) as smtp:
        tasks.send_digests()
    assert [e.rcpt_tos for e in smtp.inbox.received] == [[maya.email]]
    assert _runs(conn)[-1][0] == "succeeded"
    assert len(_sent_jobs(conn, maya.id)) == DEPTH


def test_one_refused_mail_does_not_stop_the_others(
    conn: Connection, demo: DemoLoad, make_tasks: Any
) -> None:
    maya, tomas = demo.users[0], demo.users[1]
    turn_on_digest(conn, maya.id)
    turn_on_digest(conn, tomas.id)
    inbox = Inbox(refuse={maya.email})
    with smtp_server(inbox=inbox) as smtp:
        tasks = make_tasks(_plain_smtp(smtp.port))
        tasks.send_digests()
        assert [e.rcpt_tos for e in inbox.received] == [[tomas.email]]
        (status, counts, error) = _runs(conn)[-1]
        assert status == "failed"
        assert (counts["sent"], counts["failed"]) == (1, 1)
        assert error is not None
        assert f"user {maya.id}: 550" in error
        assert _sent_jobs(conn, maya.id) == set()

        inbox.refuse.clear()  # the next day her server takes mail again
        tasks.send_digests()
    assert [e.rcpt_tos for e in inbox.received] == [[tomas.email], [maya.email]]
    (status, counts, _) = _runs(conn)[-1]
    assert (status, counts["sent"], counts["nothing_new"]) == ("succeeded", 1, 1)


def test_the_cli_dry_run_says_who_would_get_what(
    conn: Connection,
    cli_env: str,
    demo: DemoLoad,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    turn_on_digest(conn, demo.users[1].id)
    monkeypatch.delenv("JOBMATCH_SMTP_URL", raising=False)
    assert main(["digest", "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    expected = [m.job_id for m in top_matches(conn, demo.users[1].id, DEPTH)]
    assert report["planned"] == {str(demo.users[1].id): expected}
    assert _sent_jobs(conn, demo.users[1].id) == set()
    assert main(["digest"]) == 2
    assert "JOBMATCH_SMTP_URL is not set" in capsys.readouterr().err

    with smtp_server() as smtp:
        monkeypatch.setenv("JOBMATCH_SMTP_URL", f"smtp+plain://127.0.0.1:{smtp.port}")
        assert main(["digest", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sent"] == 1
    assert [e.rcpt_tos for e in smtp.inbox.received] == [[demo.users[1].email]]
    assert _sent_jobs(conn, demo.users[1].id) == set(expected)
    assert _runs(conn)[-1][0] == "succeeded"


def test_the_api_and_the_page_turn_the_digest_on_and_off(
    conn: Connection, db_url: str, tmp_path: Path, demo: DemoLoad
) -> None:
    maya = demo.users[0]
    auth = {"Authorization": f"Bearer {maya.token}"}
    with web_client(db_url, tmp_path / "web") as client:
        on = client.post("/api/v1/users/me/notifications/digest", headers=auth)
        assert on.status_code == 200
        assert (on.json()["digest"], on.json()["digest_email"]) == (True, maya.email)
        assert notification_state(conn, maya.id).digest_enabled
        off = client.delete("/api/v1/users/me/notifications/digest", headers=auth)
        assert off.status_code == 204
        assert not notification_state(conn, maya.id).digest_enabled
        assert client.post("/api/v1/users/me/notifications/digest").status_code == 401

        sign_up(client, "web@example.com")
        page = client.get("/notifications")
        assert "The digest is <strong>off</strong>" in page.text
        assert "sends no e-mail yet" in page.text  # no JOBMATCH_SMTP_URL here
        turned = post_form(client, "/notifications/digest", {}, page="/notifications")
        assert "The digest is <strong>on</strong>" in turned.text
        turned = post_form(client, "/notifications/digest/off", {}, page="/notifications")
        assert "The digest is <strong>off</strong>" in turned.text


def test_an_address_the_server_cannot_carry_fails_only_that_persons_mail(
    conn: Connection, demo: DemoLoad, make_tasks: Any
) -> None:
    maya, ines = demo.users[0], demo.users[2]
    conn.execute(
        "UPDATE users SET email = 'inês@demo.jobmatch.dev' WHERE id = %(id)s", {"id": ines.id}
    )
    turn_on_digest(conn, maya.id)
    turn_on_digest(conn, ines.id)
    with smtp_server() as smtp:  # no SMTPUTF8: a non-ASCII address cannot be sent
        make_tasks(_plain_smtp(smtp.port)).send_digests()
    assert [e.rcpt_tos for e in smtp.inbox.received] == [[maya.email]]
    (status, counts, error) = _runs(conn)[-1]
    assert (status, counts["sent"], counts["failed"]) == ("failed", 1, 1)
    assert error is not None
    assert f"were refused, to be retried next run: user {ines.id}: " in error
    assert _sent_jobs(conn, ines.id) == set()
