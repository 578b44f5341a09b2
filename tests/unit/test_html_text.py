"""HTML → text: the shape of a posting (paragraphs, breaks, lists) survives, markup does not."""

from __future__ import annotations

import pytest

from workers.sources import clean
from workers.sources.base import BadRecordError
from workers.sources.html_text import html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            "<h2>Role</h2><p>Build &amp; ship.</p><p>Then rest.</p>",
            "Role\n\nBuild & ship.\n\nThen rest.",
        ),
        ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
        ("<ol><li>first</li><li></li><li>second</li></ol>", "1. first\n2. second"),
        ("<ul><li>a<ul><li>deep</li></ul></li><li>b</li></ul>", "- a\n  - deep\n- b"),
        # Paragraphs inside an item stay with their bullet.
        ("<ul><li><p>Ship it</p></li><li><p>Own it</p></li></ul>", "- Ship it\n- Own it"),
        ("one<br>two<br><br>three", "one\ntwo\n\nthree"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("<p>  lots   of\n\tspace\u00a0here </p>", "lots of space here"),
        (
            "<table><tr><td>Pay</td><td>$90k</td></tr><tr><td>Where</td></tr></table>",
            "Pay $90k\nWhere",
        ),
        ("<pre>line 1\nline 2</pre>", "line 1\nline 2"),
        ("<style>p {}</style><script>alert(1)</script><!-- x --><p>kept</p>", "kept"),
        ("<li>loose item</li>", "- loose item"),
        # Items holding only whitespace (a newline, a no-break space) leave no lone bullet.
        ("<ul>\n<li>\n</li><li>&nbsp;</li><li>x</li></ul>", "- x"),
        ("<p>caf&eacute; &lt;3 &#8364;5</p>", "café <3 €5"),
    ],
)
def test_shape_is_kept(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_control_characters_in_the_source_do_not_fake_breaks() -> None:
    assert html_to_text("<p>a\x00b\x01c\x04d</p>") == "abcd"


def test_broken_markup_still_gives_the_text() -> None:
    assert html_to_text("<p>open <b>bold <i>both</p><li>x") == "open bold both\n\n- x"


def test_markup_nested_thousands_deep_keeps_its_text() -> None:
    # Unclosed tags pile up into nesting deeper than the walk can recurse.
    assert html_to_text("<p>Intro</p>" + "<span><div>" * 2000 + "deep  text") == "Intro deep text"


def test_double_escaped_html_is_cleaned_with_its_paragraphs() -> None:
    # The Muse sends some postings as escaped HTML inside <pre><code>.
    html = (
        "<pre><code>&lt;p&gt;First &amp;amp; one&lt;/p&gt;\n"
        "&lt;ul&gt;&lt;li&gt;item&lt;/li&gt;&lt;/ul&gt;</code></pre><p>After</p>"
    )
    text = clean.clean_description({"d": html}, "d")
    assert "<" not in text
    assert text == "First & one\n\n- item\n\nAfter"


def test_double_encoded_utf8_is_repaired_before_the_markup_goes() -> None:
    # "’" and "ń" as UTF-8 bytes read as Latin-1, as RemoteOK sends them; the no-break
    # space pair "Â\xa0" must not be split by whitespace collapsing first.
    html = "<p>We\u00e2\u0080\u0099re in Gda\u00c5\u0084sk.\u00c2\u00a0Really.</p>"
    assert clean.clean_description({"d": html}, "d") == "We’re in Gdańsk. Really."


def test_mixed_damage_falls_back_to_ftfy() -> None:
    # cp1252-style mojibake ("â€™") next to a real non-Latin-1 character: no single
    # re-decoding fits, ftfy does.
    assert clean.fix_text("It\u00e2\u20ac\u2122s \u2603 time", "t") == "It's \u2603 time"


def test_plain_text_descriptions_keep_their_lines() -> None:
    assert clean.clean_description({"d": "One  \n\n\n\nTwo\nThree  "}, "d") == "One\n\nTwo\nThree"


def test_surrogates_in_html_reject_the_record() -> None:
    raw = b"<p>Caf\xe9</p>".decode("utf-8", errors="surrogateescape")
    with pytest.raises(BadRecordError, match="not UTF-8"):
        clean.clean_description({"d": raw}, "d")
