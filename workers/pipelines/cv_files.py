"""Reading a CV: .txt, .md, .pdf and .docx files of at most 5 MB, or pasted text.

One rule set for every door (the API's upload, `jobmatch cv add`, the web pages). Pure
functions of the bytes: nothing here touches the database, so a refused file can never
disturb the CV already stored.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path, PurePath
from typing import Literal

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_CV_CHARS = 100_000
# A .docx is a zip: its XML is inflated in memory, so a small file could expand to gigabytes.
MAX_DOCX_INFLATED_BYTES = 60 * 1024 * 1024
MAX_PDF_PAGES = 40
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
ACCEPTED = ".txt, .md, .pdf or .docx"


Refusal = Literal["too_large", "unsupported", "empty"]


class CvFileError(ValueError):
    """A CV that cannot be used: `reason` says which rule it broke, `detail` how to fix it."""

    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason: Refusal = reason
        self.detail = detail


def read_cv_file(path: Path) -> tuple[str, str]:
    """The text and file name of the CV file at `path` (`CvFileError` as for uploads;
    `OSError` when it cannot be read)."""
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise _too_large(path.stat().st_size)
    return extract_cv_text(path.name, path.read_bytes()), path.name


def extract_cv_text(filename: str | None, data: bytes) -> str:
    """The text of an uploaded CV file.

    Raises `CvFileError`: too large above 5 MB; unsupported for another type or a
    corrupt or encrypted PDF/DOCX; empty when the file holds no text.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_large(len(data))
    kind = _kind(filename, data)
    if kind == "pdf":
        text = _pdf_text(data)
    elif kind == "docx":
        text = _docx_text(data)
    else:
        text = _plain_text(data)
    return clean_cv_text(text)


def _too_large(size: int) -> CvFileError:
    return CvFileError("too_large", f"the file is {size / 1e6:.1f} MB; CVs may be at most 5 MB")


def clean_cv_text(text: str) -> str:
    """Whitespace-trimmed text, refused when empty and capped at `MAX_CV_CHARS`."""
    text = text.replace("\x00", "").strip()
    if not text:
        raise CvFileError("empty", "the CV contains no text; upload a CV with readable text")
    return text[:MAX_CV_CHARS]


def _kind(filename: str | None, data: bytes) -> str:
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix == ".docx":
        return "docx"
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix:
        raise CvFileError(
            "unsupported", f"files of type {suffix} are not accepted; upload {ACCEPTED}"
        )
    # No extension: go by the content's signature.
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    return "text"


def _plain_text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CvFileError(
            "unsupported", f"the file is not UTF-8 text; upload {ACCEPTED} (text files as UTF-8)"
        ) from None
    if "\x00" in text:
        raise CvFileError("unsupported", f"the file looks binary, not text; upload {ACCEPTED}")
    return text


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            # pypdf warns about quirks of real-world PDFs it reads fine anyway.
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise CvFileError(
                    "unsupported", "the PDF is password-protected; upload an unencrypted copy"
                )
            pages = reader.pages[:MAX_PDF_PAGES]
            return "\n".join(page.extract_text() or "" for page in pages)
    except CvFileError:
        raise
    except Exception as error:  # pypdf raises many types for damaged files
        raise CvFileError(
            "unsupported", f"the PDF could not be read ({type(error).__name__}); it may be damaged"
        ) from error


def _docx_text(data: bytes) -> str:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        # An OLE container: an encrypted .docx, or an old binary .doc renamed.
        raise CvFileError(
            "unsupported",
            "the document is encrypted or in the old .doc format; upload a plain .docx",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
        if inflated > MAX_DOCX_INFLATED_BYTES:
            raise CvFileError("unsupported", "the .docx expands to too much data to be a CV")
        import docx

        document = docx.Document(io.BytesIO(data))
    except CvFileError:
        raise
    except Exception as error:  # zipfile, lxml and python-docx each raise their own types
        raise CvFileError(
            "unsupported",
            f"the .docx could not be read ({type(error).__name__}); it may be damaged",
        ) from error
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)
