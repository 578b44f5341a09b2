"""One person's digest as an e-mail: plain text and HTML of the same matches, with an
unsubscribe link that works without signing in (and the List-Unsubscribe headers that let
a mail program offer it as a button)."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from html import escape
from urllib.parse import quote, urlsplit

from schema.queries.notifications import DigestRecipient, Match


def job_link(match: Match, public_url: str) -> str:
    """The posting's own address when it is a web address, else the job's page here:
    a scraped URL is never trusted to be a link that is safe to click."""
    if urlsplit(match.url).scheme in ("http", "https"):
        return match.url
    return f"{public_url}/jobs/{match.job_id}"


def unsubscribe_link(public_url: str, token: str) -> str:
    return f"{public_url}/unsubscribe/{quote(token, safe='')}"


def subject(count: int) -> str:
    return f"{count} new job match{'' if count == 1 else 'es'} for you"


def compose_digest(
    recipient: DigestRecipient, matches: Sequence[Match], *, public_url: str, mail_from: str
) -> EmailMessage:
    """The digest mail of `matches` (best first) for `recipient`."""
    unsubscribe = unsubscribe_link(public_url, recipient.unsubscribe_token)
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = formataddr((_one_line(recipient.name), recipient.email))
    message["Subject"] = subject(len(matches))
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=urlsplit(public_url).hostname or "localhost")
    # RFC 8058: a mail program may offer "Unsubscribe" and POST to this address itself.
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(_plain(recipient, matches, public_url, unsubscribe))
    message.add_alternative(_html(recipient, matches, public_url, unsubscribe), subtype="html")
    return message


def _one_line(text: str) -> str:
    """A header value from a person's text: line breaks would start a new header."""
    return " ".join(text.split())


def _place(match: Match) -> str:
    parts = [match.location] if match.location else []
    if match.remote:
        parts.append("remote")
    return f" ({', '.join(parts)})" if parts else ""


def _greeting(recipient: DigestRecipient) -> str:
    name = _one_line(recipient.name)
    return f"Hello {name}," if name else "Hello,"


def _plain(
    recipient: DigestRecipient, matches: Sequence[Match], public_url: str, unsubscribe: str
) -> str:
    lines = [_greeting(recipient), "", _intro(recipient), ""]
    for number, match in enumerate(matches, start=1):
        lines += [
            f"{number}. {match.title} — {match.company}{_place(match)}",
            f"   Match {match.score:.2f}: {match.reason}",
            f"   {job_link(match, public_url)}",
            "",
        ]
    lines += [
        f"All your recommendations: {public_url}/",
        f"Stop these e-mails: {unsubscribe}",
    ]
    return "\n".join(lines) + "\n"


def _intro(recipient: DigestRecipient) -> str:
    """What the list is: a person with several CVs is told which one's (the active one)."""
    if recipient.cv_name:
        return f"New matches for your CV “{_one_line(recipient.cv_name)}” since your last digest:"
    return "New matches for your CV since your last digest:"


def _html(
    recipient: DigestRecipient, matches: Sequence[Match], public_url: str, unsubscribe: str
) -> str:
    items = "".join(
        f'<li><p><a href="{escape(job_link(match, public_url))}">{escape(match.title)}</a>'
        f" — {escape(match.company)}{escape(_place(match))}</p>"
        f"<p>Match {match.score:.2f}: {escape(match.reason)}</p></li>"
        for match in matches
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{escape(subject(len(matches)))}</title></head><body>"
        f"<p>{escape(_greeting(recipient))}</p>"
        f"<p>{escape(_intro(recipient))}</p><ol>{items}</ol>"
        f'<p><a href="{escape(public_url)}/">All your recommendations</a></p>'
        f'<p><a href="{escape(unsubscribe)}">Stop these e-mails</a></p>'
        "</body></html>\n"
    )
