"""A real SMTP server on 127.0.0.1 (aiosmtpd, in a thread) that keeps what it receives.

It may offer STARTTLS or speak TLS from the start with a certificate of a test CA
(trustme), require a login, and refuse chosen recipients, as a real mail server would.
"""

from __future__ import annotations

import socket
import ssl
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER, PASSWORD = "digest-sender", "s3cret-pa55"


@dataclass
class Inbox:
    """The server's handler: every accepted message, and the recipients it refuses."""

    refuse: set[str] = field(default_factory=set)
    received: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        """The received messages, parsed."""
        return [message_from_bytes(_bytes(e.content), policy=policy.default) for e in self.received]

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok, handled=False)


def _bytes(content: Any) -> bytes:
    return content if isinstance(content, bytes) else str(content).encode()


class _Controller(Controller):
    """aiosmtpd counts only STARTTLS as encryption for AUTH, so over implicit TLS (where
    the whole session is encrypted) AUTH must not "require TLS", and it warns about that
    when it makes the server. The warning is about a setting that is right here; it is
    silenced while the server is made (the test's thread waits for it meanwhile)."""

    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            made: SMTP = super().factory()  # type: ignore[no-untyped-call]
        return made


@dataclass
class RunningSmtp:
    inbox: Inbox
    port: int


def free_port() -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class LocalCa:
    """A certificate authority for the tests: the server's context and the client's."""

    server: ssl.SSLContext
    client: ssl.SSLContext


def local_ca() -> LocalCa:
    ca = trustme.CA()
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return LocalCa(server=server, client=client)


@contextmanager
def smtp_server(
    *,
    port: int | None = None,
    inbox: Inbox | None = None,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    require_login: bool = False,
) -> Iterator[RunningSmtp]:
    """An SMTP server on 127.0.0.1 until the block ends."""
    inbox = inbox or Inbox()
    port = port or free_port()
    options: dict[str, Any] = {}
    if starttls is not None:
        options.update(tls_context=starttls, require_starttls=True)
    if require_login:
        options.update(
            authenticator=inbox.authenticate,
            auth_required=True,
            # Over implicit TLS the whole session is encrypted already.
            auth_require_tls=implicit_tls is None,
        )
    controller = _Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        ssl_context=implicit_tls,
        server_hostname="127.0.0.1",
        **options,
    )
    controller.start()
    try:
        yield RunningSmtp(inbox, port)
    finally:
        controller.stop()
