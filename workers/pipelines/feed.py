"""A person's Atom 1.0 feed (RFC 4287) of their top matches, at a secret address.

Each entry is a job, its id a URN of the job's id, so a feed reader shows a match once
however often the list is made again; its `updated` is when the posting last changed,
so a reader marks it again only when the posting itself changed. The summary gives the
match score and the reason, as the recommendations page does.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime

from schema.database import Connection
from schema.queries.notifications import Match, feed_owner, top_matches
from schema.queries.users import user_by_id
from workers.pipelines.digest_mail import job_link
from workers.pipelines.notifications import feed_url

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 20
MAX_FEED_TOKEN = 100


def feed_for_token(conn: Connection, token: str, base_url: str) -> bytes | None:
    """The feed the token opens, as UTF-8 XML; None for an unknown, rotated or revoked
    token (the caller cannot tell which)."""
    if not token or len(token) > MAX_FEED_TOKEN:
        return None
    user_id = feed_owner(conn, token)
    user = user_by_id(conn, user_id) if user_id is not None else None
    if user is None:
        return None
    matches = top_matches(conn, user.id, FEED_ENTRIES)
    return atom_feed(
        matches,
        feed_id=f"urn:jobmatch:feed:{user.id}",
        title=f"jobmatch: new matches for {user.name or user.email}",
        self_url=feed_url(base_url, token),
        base_url=base_url,
    )


def atom_feed(
    matches: Sequence[Match], *, feed_id: str, title: str, self_url: str, base_url: str
) -> bytes:
    """The Atom document of `matches`, best first. An empty list still makes a valid
    feed, updated when the person's feed was read (Atom requires a date)."""
    # The default namespace as a plain attribute: every element below is in it.
    feed = ET.Element("feed", xmlns=ATOM)
    _text(feed, "id", feed_id)
    _text(feed, "title", title)
    newest = max((m.generated_at for m in matches), default=datetime.now(UTC))
    _text(feed, "updated", _stamp(newest))
    _text(ET.SubElement(feed, "author"), "name", "jobmatch")
    ET.SubElement(feed, "link", rel="self", href=self_url)
    ET.SubElement(feed, "link", rel="alternate", href=f"{base_url}/")
    _text(feed, "generator", "jobmatch")
    for match in matches:
        feed.append(_entry(match, base_url))
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _entry(match: Match, base_url: str) -> ET.Element:
    entry = ET.Element("entry")
    _text(entry, "id", f"urn:jobmatch:job:{match.job_id}")
    company = f" — {match.company}" if match.company else ""
    _text(entry, "title", f"{match.title}{company}")
    ET.SubElement(entry, "link", rel="alternate", href=job_link(match, base_url))
    _text(entry, "published", _stamp(match.posted_at))
    _text(entry, "updated", _stamp(match.updated_at))
    place = ", ".join(p for p in (match.location, "remote" if match.remote else "") if p)
    summary = f"Match {match.score:.2f} (#{match.rank}): {match.reason}"
    _text(entry, "summary", f"{summary} · {place}" if place else summary)
    return entry


def _text(parent: ET.Element, tag: str, text: str) -> None:
    """A child element holding `text` (escaped by ElementTree; characters XML cannot
    hold at all are dropped)."""
    ET.SubElement(parent, tag).text = _xml_chars(text)


def _xml_chars(text: str) -> str:
    return "".join(c for c in text if c in "\t\n\r" or c >= " ")


def _stamp(moment: datetime) -> str:
    """RFC 3339 in UTC, as Atom's date constructs require."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
