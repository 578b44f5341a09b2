"""The text of a .docx, read as a stream with every inflated byte counted.

A .docx is a zip whose `word/document.xml` holds the text. python-docx builds the whole
XML tree in memory (about ten times the XML's size), so a small file whose XML inflates
to tens of megabytes costs hundreds of megabytes. Here the XML is parsed as events and
each element is dropped once read: memory stays flat whatever the size, and reading
stops as soon as the inflated bytes pass the caps (the sizes a zip declares can lie).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import IO, Any

DOCUMENT_PART = "word/document.xml"
# A CV's document.xml is tens to hundreds of kilobytes; heavy formatting stays under a few MB.
MAX_PART_BYTES = 16 * 1024 * 1024
# What all the parts together may declare (images are stored, not parsed, but a zip
# declaring gigabytes is a bomb, not a CV).
MAX_DECLARED_BYTES = 60 * 1024 * 1024
CHUNK = 64 * 1024
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class DocxLimitError(ValueError):
    """The document inflates past a cap."""


class DocxFormatError(ValueError):
    """The zip holds no Word document body."""


def docx_text(data: bytes) -> str:
    """Paragraphs in document order, a table row as its cells joined by ` | `.

    Raises `DocxLimitError` past a cap, `DocxFormatError` when there is no document body,
    and zipfile's or lxml's own errors for a damaged file.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        declared = sum(info.file_size for info in archive.infolist())
        if declared > MAX_DECLARED_BYTES:
            raise DocxLimitError(f"the parts declare {declared / 1e6:.0f} MB")
        try:
            info = archive.getinfo(DOCUMENT_PART)
        except KeyError:
            raise DocxFormatError("no word/document.xml") from None
        if info.file_size > MAX_PART_BYTES:
            raise DocxLimitError(f"the document declares {info.file_size / 1e6:.0f} MB")
        with archive.open(info) as raw:
            return "\n".join(_lines(_Capped(raw, MAX_PART_BYTES)))


class _Capped(io.RawIOBase):
    """A reader that raises `DocxLimitError` once more than `cap` bytes came out."""

    def __init__(self, raw: IO[bytes], cap: int) -> None:
        self._raw, self._left = raw, cap

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._raw.read(min(len(buffer), CHUNK))
        self._left -= len(chunk)
        if self._left < 0:
            raise DocxLimitError("the document inflates past the cap")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _lines(stream: io.RawIOBase) -> Iterator[str]:
    """The document's lines, from lxml's parse events; each element freed once closed."""
    from lxml import etree

    # Entities and DTDs are refused: no expansion bombs, no external reads.
    events = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    lines = _Lines()
    for event, element in events:
        if event == "start":
            lines.open(element.tag)
            continue
        line = lines.close(element.tag, element.text)
        if line is not None:
            yield line
        _drop(element)


class _Lines:
    """Paragraph text in the making, and the table rows and cells open around it."""

    def __init__(self) -> None:
        self.paragraph: list[str] = []
        self.rows: list[list[str]] = []  # one list of cell texts per open table row
        self.cells: list[list[str]] = []  # one list of paragraph texts per open cell

    def open(self, tag: str) -> None:
        if tag == f"{W}tr":
            self.rows.append([])
        elif tag == f"{W}tc":
            self.cells.append([])

    def close(self, tag: str, text: str | None) -> str | None:
        """The finished line when `tag` ends one outside any table cell, else None."""
        if tag == f"{W}t":
            self.paragraph.append(text or "")
        elif tag == f"{W}tab":
            self.paragraph.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            self.paragraph.append("\n")
        elif tag == f"{W}p":
            line, self.paragraph = "".join(self.paragraph), []
            return self._emit(line)
        elif tag == f"{W}tc" and self.cells:
            cell = "\n".join(self.cells.pop())
            if self.rows:
                self.rows[-1].append(cell)
        elif tag == f"{W}tr" and self.rows:
            # A nested table's rows are text of the enclosing cell.
            return self._emit(" | ".join(self.rows.pop()))
        return None

    def _emit(self, line: str) -> str | None:
        if self.cells:
            self.cells[-1].append(line)
            return None
        return line


def _drop(element: Any) -> None:
    """Free a closed element and the siblings before it: the tree never grows."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
