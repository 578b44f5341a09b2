"""The digest over TLS: STARTTLS (required: never a fallback to plain text) or TLS from
the start, the server's certificate checked, and a login, against a real SMTP server on
127.0.0.1 with a certificate of a test CA."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema.database import Connection
from server.demo import DemoLoad
from tests.integration.notify_data import FROM, PUBLIC, demo_with_lists
from tests.smtp_server import PASSWORD, USER, local_ca, smtp_server
from workers.pipelines.digest import DEPTH, DigestError, send_digests
from workers.pipelines.notifications import turn_on_digest
from workers.settings import Settings, SmtpServer


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> DemoLoad:
    return demo_with_lists(db_url, tmp_path)


def _tls_settings(tmp_path: Path, port: int, security: str, password: str) -> Settings:
    smtp = SmtpServer("127.0.0.1", port, security, username=USER, password=password)
    return Settings(home=tmp_path, smtp=smtp, mail_from=FROM, public_url=PUBLIC)


def test_starttls_with_a_login(
    conn: Connection, db_url: str, tmp_path: Path, demo: DemoLoad
) -> None:
    turn_on_digest(conn, demo.users[0].id)
    ca = local_ca()
    with smtp_server(starttls=ca.server, require_login=True) as smtp:
        wrong = _tls_settings(tmp_path, smtp.port, "starttls", "not-the-password")
        with pytest.raises(DigestError, match="refused the credentials") as refused:
            send_digests(db_url, wrong, tls_context=ca.client)
        assert "not-the-password" not in str(refused.value)
        right = _tls_settings(tmp_path, smtp.port, "starttls", PASSWORD)
        with pytest.raises(DigestError, match="certificate verify failed"):
            send_digests(db_url, right)  # the system's CAs do not know the test CA
        summary = send_digests(db_url, right, tls_context=ca.client)
    assert (summary.sent, summary.jobs_sent) == (1, DEPTH)
    assert smtp.inbox.logins == [USER]
    assert len(smtp.inbox.received) == 1


def test_smtps_with_a_login(conn: Connection, db_url: str, tmp_path: Path, demo: DemoLoad) -> None:
    turn_on_digest(conn, demo.users[0].id)
    ca = local_ca()
    with smtp_server(implicit_tls=ca.server, require_login=True) as smtp:
        settings = _tls_settings(tmp_path, smtp.port, "tls", PASSWORD)
        summary = send_digests(db_url, settings, tls_context=ca.client)
    assert summary.sent == 1
    assert smtp.inbox.logins == [USER]


def test_smtp_never_falls_back_to_plain_text(
    conn: Connection, db_url: str, tmp_path: Path, demo: DemoLoad
) -> None:
    turn_on_digest(conn, demo.users[0].id)
    with smtp_server() as smtp:  # offers no STARTTLS
        settings = _tls_settings(tmp_path, smtp.port, "starttls", PASSWORD)
        with pytest.raises(DigestError, match="does not offer STARTTLS"):
            send_digests(db_url, settings)
    assert smtp.inbox.received == []
    assert smtp.inbox.logins == []
