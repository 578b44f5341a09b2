"""A digest mail and a feed carry people's and postings' text as text: escaped in HTML
and XML, never a header line or a link of another scheme."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from schema.queries.notifications import DigestRecipient, Match
from workers.pipelines.digest_mail import compose_digest
from workers.pipelines.feed import ATOM, atom_feed

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
REASON = "You share Go · your CV: “<b>Go</b> & C” ↔ the job: “Go”"


def _match(url: str = "javascript:alert(1)") -> Match:
    return Match(
        1, 0.62, REASON, 7, "Senior <Backend>", "A & B", "Berlin", True, url, NOW, NOW, NOW
    )


def test_the_mail_escapes_markup_and_links_only_web_addresses() -> None:
    recipient = DigestRecipient(1, "ann@example.org", "Ann\nBcc: eve@example.org", "tok", None)
    message = compose_digest(
        recipient, [_match()], public_url="https://jobs.example.org", mail_from="d@example.org"
    )
    assert message["To"] == '"Ann Bcc: eve@example.org" <ann@example.org>'
    assert message["Bcc"] is None
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert REASON in plain.get_content()
    body = html.get_content()
    assert "Senior &lt;Backend&gt;" in body
    assert "&lt;b&gt;Go&lt;/b&gt; &amp; C" in body
    assert "<b>" not in body
    assert "javascript:" not in message.as_string()
    assert 'href="https://jobs.example.org/jobs/7"' in body  # the job's page here instead


def test_the_feed_keeps_text_as_text() -> None:
    body = atom_feed(
        [_match("https://example.org/job?a=1&b=2")],
        feed_id="urn:jobmatch:feed:1",
        title="matches for <Ann> \x01",
        self_url="https://jobs.example.org/api/v1/feeds/t",
        base_url="https://jobs.example.org",
    )
    feed = ET.fromstring(body)
    assert feed.findtext(f"{{{ATOM}}}title") == "matches for <Ann> "  # \x01 cannot be in XML
    entry = feed.find(f"{{{ATOM}}}entry")
    assert entry is not None
    assert entry.findtext(f"{{{ATOM}}}title") == "Senior <Backend> — A & B"
    assert REASON in (entry.findtext(f"{{{ATOM}}}summary") or "")
    link = entry.find(f"{{{ATOM}}}link")
    assert link is not None
    assert link.attrib["href"] == "https://example.org/job?a=1&b=2"
    assert entry.findtext(f"{{{ATOM}}}updated") == "2026-12-04T08:00:00Z"


def test_the_mail_names_the_active_cv_only_among_several() -> None:
    alone = DigestRecipient(1, "ann@example.org", "Ann", "tok", None)
    several = DigestRecipient(1, "ann@example.org", "Ann", "tok", None, cv_name="<data> & ML")
    bodies = {}
    for key, recipient in (("alone", alone), ("several", several)):
        message = compose_digest(
            recipient, [_match()], public_url="https://jobs.example.org", mail_from="d@e.org"
        )
        plain, html = message.get_body(("plain",)), message.get_body(("html",))
        assert plain is not None
        assert html is not None
        bodies[key] = (plain.get_content(), html.get_content())
    assert "New matches for your CV since your last digest:" in bodies["alone"][0]
    assert "New matches for your CV since your last digest:" in bodies["alone"][1]
    assert "your CV “<data> & ML” since your last digest:" in bodies["several"][0]
    assert "your CV “&lt;data&gt; &amp; ML” since your last digest:" in bodies["several"][1]
