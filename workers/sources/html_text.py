"""HTML → plain text that keeps a posting's shape: paragraphs, line breaks and lists.

Parsing is Lexbor's (through `selectolax`): a standards-conforming HTML5 parser in C that
decodes entities and mends broken markup, a small part of the cost. The walk below only
decides where breaks go:

- paragraph-like blocks (p, h1–h6, top-level lists, tables, blockquote, pre, hr) are
  separated by a blank line; other blocks (div, section, li, tr, br, …) start a new line;
- a list item becomes "- item" ("1. item" in an ordered list), indented two spaces per
  nesting level; an item with no text is left out, bullet and all;
- runs of whitespace collapse to one space; script, style and similar are dropped.

Text is written as the walk goes: a break or a space is only remembered until the next
word, which decides what is written before it, so there is no pass over the whole text
afterwards: passes collapsing whitespace and resolving break markers would cost more
than the walk itself (figures: docs/decisions.md).
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

_SKIPPED = frozenset(
    {"script", "style", "head", "title", "template", "noscript", "svg", "math", "iframe"}
    | {"object", "select", "-comment"}
)
_PARAGRAPH_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "hr", "dl"}
)
_LINE_BLOCKS = frozenset(
    {"div", "section", "article", "header", "footer", "aside", "nav", "main", "address"}
    | {"figure", "figcaption", "form", "fieldset", "details", "summary", "center", "tr"}
    | {"caption", "dt", "dd", "option", "tbody", "thead", "tfoot", "body", "html"}
)
_LISTS = frozenset({"ul", "ol", "menu", "dir"})
_CELLS = frozenset({"td", "th"})

# NUL to EOT in the source are dropped: they mean nothing in a posting's text.
_CONTROLS = ("\x00", "\x01", "\x02", "\x03", "\x04")
_CONTROL = re.compile("[\x00-\x04]")

# What `_Writer.due` says is to be written before the next word.
_NOTHING, _SPACE, _LINE, _PARAGRAPH, _ITEM_TEXT = range(5)
_SEPARATORS = ("", " ", "\n", "\n\n", " ")


def html_to_text(html: str) -> str:
    """The readable text of an HTML fragment or page, shaped as described above."""
    # Five substring tests run faster than one search for the character class.
    if any(control in html for control in _CONTROLS):
        html = _CONTROL.sub("", html)
    body = LexborHTMLParser(html).body
    if body is None:
        return ""
    writer = _Writer()
    try:
        writer.walk(body, 0)
    except RecursionError:
        # Elements nested hundreds deep (unclosed tags pile up so) are too deep for the
        # walk, which recurses: the text is still kept, as one paragraph.
        return " ".join(body.text(deep=True, separator=" ").split())
    return "".join(writer.out).strip()


class _Writer:
    """Walks the tree and writes its text, whitespace collapsed and breaks resolved.

    What lies between two words is decided when the second arrives (`due`): right after
    a bullet, one space (breaks there are dropped); else after a block edge, a new line,
    or a blank line when a paragraph edge or two <br> were among the edges; else one
    space when there was whitespace.
    """

    __slots__ = ("brs", "due", "out", "texts")

    def __init__(self) -> None:
        self.out: list[str] = []
        self.due = _NOTHING
        self.brs = 0  # <br>s since the last word
        self.texts = 0  # texts written so far (an empty list item adds none)

    def walk(self, node: LexborNode, depth: int, numbered: bool | None = None) -> None:
        """Write the text under `node`; `depth` counts the lists it is nested in, and
        `numbered` says, for a list, whether its items are numbered (None: not a list)."""
        number = 0
        # Text and <br> (most nodes) are settled here without further
        # dispatch; elements go to `element`.
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                self.write(child.text_content or "")
            elif tag == "br":
                self.brs += 1
                self.edge(_PARAGRAPH if self.brs > 1 else _LINE)
            elif tag in _SKIPPED or tag is None:
                continue
            elif tag != "li":
                self.element(child, tag, depth)
            elif numbered is None:  # an item outside any list (broken markup) is still one
                self.item(child, max(depth, 1), "-")
            elif self.item(child, depth, f"{number + 1}." if numbered else "-"):
                number += 1

    def write(self, text: str) -> None:
        """A run of text from the page: its whitespace collapses, its words are written."""
        words = text.split()
        if not words:
            if text:
                self.space()
            return
        due = self.due
        if due == _NOTHING and text[0].isspace():
            due = _SPACE
        self.out.append(_SEPARATORS[due])
        self.out.append(" ".join(words))
        self.texts += 1
        self.brs = 0
        self.due = _SPACE if text[-1].isspace() else _NOTHING

    def element(self, node: LexborNode, tag: str, depth: int) -> None:
        """Write an element other than text, <br> and <li>."""
        if tag in _LISTS:
            # A list inside a list item continues that item; a top-level one is a block.
            edge = _LINE if depth else _PARAGRAPH
            self.edge(edge)
            self.walk(node, depth + 1, numbered=tag == "ol")
            self.edge(edge)
        elif tag in _PARAGRAPH_BLOCKS:
            # Inside a list item a paragraph is only a new line, or items would drift apart.
            edge = _LINE if depth else _PARAGRAPH
            self.edge(edge)
            if tag == "pre":
                self.walk_pre(node)
            else:
                self.walk(node, depth)
            self.edge(edge)
        elif tag in _LINE_BLOCKS:
            self.edge(_LINE)
            self.walk(node, depth)
            self.edge(_LINE)
        elif tag in _CELLS:
            self.space()
            self.walk(node, depth)
            self.space()
        else:  # inline: a, strong, em, span, …
            self.walk(node, depth)

    def edge(self, edge: int) -> None:
        """A block edge: at least `edge` (_LINE or _PARAGRAPH) before the next word."""
        if self.due != _ITEM_TEXT and self.due < edge:
            self.due = edge

    def space(self) -> None:
        """Whitespace: one space before the next word, unless something more is due."""
        if self.due == _NOTHING:
            self.due = _SPACE

    def item(self, node: LexborNode, depth: int, bullet: str) -> bool:
        """One list item on its own line; False (and nothing written) when it has no text."""
        undo = (len(self.out), self.due, self.brs, self.texts)
        self.edge(_LINE)
        self.out.append(_SEPARATORS[self.due])
        self.out.append("  " * (depth - 1) + bullet)
        self.due, self.brs = _ITEM_TEXT, 0
        self.walk(node, depth)
        if self.texts == undo[3]:  # no text: a lone bullet would be left
            del self.out[undo[0] :]
            self.due, self.brs = undo[1], undo[2]
            return False
        self.edge(_LINE)
        return True

    def walk_pre(self, node: LexborNode) -> None:
        """Preformatted text keeps its line breaks."""
        for line in (node.text(deep=True) or "").splitlines():
            self.write(line)
            self.edge(_LINE)
