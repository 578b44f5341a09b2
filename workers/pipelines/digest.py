"""The daily e-mail digest: each person who opted in gets the new top matches of their
list since their last digest, through the SMTP server of `JOBMATCH_SMTP_URL`.

A job is marked sent only once the server has accepted the mail carrying it, so a digest
that failed goes out with the next run. A server that cannot be reached, refuses the
credentials or drops the connection fails the whole run (nothing more can be sent); a
mail the server refuses for one person is counted and the others still go, and the run
then fails saying whose (`DigestFailedError`), so the run log shows it.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from schema.database import connection
from schema.queries.notifications import (
    DigestRecipient,
    Match,
    digest_recipients,
    record_digest,
    unsent_top_matches,
)
from workers.pipelines.digest_mail import compose_digest
from workers.settings import DEFAULT_PUBLIC_URL, Settings, SmtpServer

# A digest carries the new ones among the list's first DEPTH matches: the top of the
# list is what the person would look at; lower ones are on the recommendations page.
DEPTH = 10
SMTP_TIMEOUT_S = 30.0
NOT_CONFIGURED = "JOBMATCH_SMTP_URL not set"
# Failures of one person's mail, after which the session still serves the others: the
# server refused the recipient, the sender or the message, or cannot carry the address
# (a non-ASCII one to a server without SMTPUTF8), or the address cannot be written.
ONE_PERSON = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPResponseException,
    smtplib.SMTPNotSupportedError,
    ValueError,
)


class DigestError(RuntimeError):
    """The SMTP server could not be used at all: nothing (more) was sent. `summary` says
    what had been sent before it failed, when anything was."""

    def __init__(self, message: str, summary: DigestSummary | None = None) -> None:
        super().__init__(message)
        self.summary = summary


class DigestFailedError(RuntimeError):
    """Some people's digests were refused; the others were sent."""


@dataclass
class DigestSummary:
    """What a run did: who opted in, who got a mail, who had nothing new, who failed."""

    dry_run: bool = False
    skipped: str | None = None
    recipients: int = 0
    sent: int = 0
    nothing_new: int = 0
    jobs_sent: int = 0
    failures: dict[int, str] = field(default_factory=dict)  # user id -> the server's answer
    planned: dict[int, list[int]] = field(default_factory=dict)  # dry run: user -> job ids

    def counts(self) -> dict[str, object]:
        """The summary as `task_runs.counts`."""
        counts: dict[str, object] = {
            "dry_run": self.dry_run,
            "recipients": self.recipients,
            "sent": self.sent,
            "nothing_new": self.nothing_new,
            "jobs_sent": self.jobs_sent,
            "failed": len(self.failures),
        }
        if self.skipped:
            counts["skipped"] = self.skipped
        return counts

    def raise_if_failed(self) -> None:
        if self.failures:
            who = "; ".join(f"user {user}: {why}" for user, why in self.failures.items())
            raise DigestFailedError(
                f"{len(self.failures)} of {self.recipients - self.nothing_new} digest(s) "
                f"were refused, to be retried next run: {who}"
            )


def send_digests(
    url: str,
    settings: Settings,
    *,
    dry_run: bool = False,
    tls_context: ssl.SSLContext | None = None,
) -> DigestSummary:
    """Send every opted-in person their new top matches (with `dry_run`, only say whom
    and which). `tls_context` verifies the server (default: the system's CAs)."""
    summary = DigestSummary(dry_run=dry_run)
    if settings.smtp is None and not dry_run:
        summary.skipped = NOT_CONFIGURED
        return summary
    with connection(url, autocommit=True, vectors=False) as conn:
        recipients = digest_recipients(conn)
        due = [(r, unsent_top_matches(conn, r.user_id, DEPTH)) for r in recipients]
    summary.recipients = len(recipients)
    due = [(recipient, matches) for recipient, matches in due if matches]
    summary.nothing_new = summary.recipients - len(due)
    if dry_run:
        summary.planned = {r.user_id: [m.job_id for m in matches] for r, matches in due}
        return summary
    assert settings.smtp is not None
    if due:
        with smtp_session(settings.smtp, tls_context) as client:
            _send_each(url, settings, client, due, summary)
    return summary


def _send_each(
    url: str,
    settings: Settings,
    client: smtplib.SMTP,
    due: list[tuple[DigestRecipient, list[Match]]],
    summary: DigestSummary,
) -> None:
    public_url = settings.public_url or DEFAULT_PUBLIC_URL
    with connection(url, autocommit=True, vectors=False) as conn:
        for recipient, matches in due:
            try:
                message = compose_digest(
                    recipient, matches, public_url=public_url, mail_from=settings.mail_from
                )
                client.send_message(message)
            except ONE_PERSON as error:
                summary.failures[recipient.user_id] = _answer(error)
                continue
            except OSError as error:  # smtplib's errors are OSErrors too: these are the rest
                why = f"the SMTP server stopped answering: {_reason(error)}"
                raise DigestError(why, summary) from error
            record_digest(conn, recipient.user_id, [m.job_id for m in matches])
            summary.sent += 1
            summary.jobs_sent += len(matches)


def _answer(error: Exception) -> str:
    """The server's reply to a refused mail, in one line."""
    text: bytes | str
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
    elif isinstance(error, smtplib.SMTPResponseException):
        code, text = error.smtp_code, error.smtp_error
    else:
        return f"{type(error).__name__}: {error}"
    reply = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(reply.split())}"


@contextmanager
def smtp_session(server: SmtpServer, tls_context: ssl.SSLContext | None) -> Iterator[smtplib.SMTP]:
    """A connection to `server`, secured as its URL says and signed in with its
    credentials; `DigestError` (never quoting the password) when that fails."""
    where = f"{server.host}:{server.port}"
    context = tls_context or ssl.create_default_context()
    try:
        client = _connect(server, context)
    except (OSError, smtplib.SMTPException) as error:
        raise DigestError(f"could not use the SMTP server {where}: {_reason(error)}") from error
    try:
        yield client
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _connect(server: SmtpServer, context: ssl.SSLContext) -> smtplib.SMTP:
    client: smtplib.SMTP
    if server.security == "tls":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT_S, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_S)
    try:
        if server.security == "starttls":
            # Raises when the server does not offer it: never fall back to plain text.
            client.starttls(context=context)
        if server.username:
            client.login(server.username, server.password or "")
    except BaseException:
        client.close()
        raise
    return client


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "it does not offer STARTTLS (use smtps:// or smtp+plain:// for a local relay)"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"it refused the credentials ({_answer(error)})"
    if isinstance(error, smtplib.SMTPResponseException):
        return _answer(error)
    return f"{type(error).__name__}: {error}"
