"""CV files to plain text: .txt, .md, .pdf and .docx, at most 5 MB, refused clearly otherwise.

Pure functions of the uploaded bytes: nothing here touches the database, so a refused
file can never disturb the CV already stored.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import PurePath

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_CV_CHARS = 100_000
# A .docx is a zip: its XML is inflated in memory, so a small file could expand to gigabytes.
MAX_DOCX_INFLATED_BYTES = 60 * 1024 * 1024
MAX_PDF_PAGES = 40
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
ACCEPTED = ".txt, .md, .pdf or .docx"


class UploadError(ValueError):
    """An upload the API refuses, with the HTTP status that says why."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def extract_cv_text(filename: str | None, data: bytes) -> str:
    """The text of an uploaded CV file.

    Raises `UploadError`: 413 above 5 MB; 415 for another type or a corrupt or encrypted
    PDF/DOCX; 422 when the file holds no text.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(413, f"the file is {len(data) / 1e6:.1f} MB; CVs may be at most 5 MB")
    kind = _kind(filename, data)
    if kind == "pdf":
        text = _pdf_text(data)
    elif kind == "docx":
        text = _docx_text(data)
    else:
        text = _plain_text(data)
    return clean_cv_text(text)


def clean_cv_text(text: str) -> str:
    """Whitespace-trimmed text, refused (422) when empty and capped at `MAX_CV_CHARS`."""
    text = text.replace("\x00", "").strip()
    if not text:
        raise UploadError(422, "the CV contains no text; upload a CV with readable text")
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
        raise UploadError(415, f"files of type {suffix} are not accepted; upload {ACCEPTED}")
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
        raise UploadError(
            415, f"the file is not UTF-8 text; upload {ACCEPTED} (text files as UTF-8)"
        ) from None
    if "\x00" in text:
        raise UploadError(415, f"the file looks binary, not text; upload {ACCEPTED}")
    return text


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            # pypdf warns about quirks of real-world PDFs it reads fine anyway.
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise UploadError(415, "the PDF is password-protected; upload an unencrypted copy")
            pages = reader.pages[:MAX_PDF_PAGES]
            return "\n".join(page.extract_text() or "" for page in pages)
    except UploadError:
        raise
    except Exception as error:  # pypdf raises many types for damaged files
        raise UploadError(
            415, f"the PDF could not be read ({type(error).__name__}); it may be damaged"
        ) from error


def _docx_text(data: bytes) -> str:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        # An OLE container: an encrypted .docx, or an old binary .doc renamed.
        raise UploadError(
            415, "the document is encrypted or in the old .doc format; upload a plain .docx"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
        if inflated > MAX_DOCX_INFLATED_BYTES:
            raise UploadError(415, "the .docx expands to too much data to be a CV")
        import docx

        document = docx.Document(io.BytesIO(data))
    except UploadError:
        raise
    except Exception as error:  # zipfile, lxml and python-docx each raise their own types
        raise UploadError(
            415, f"the .docx could not be read ({type(error).__name__}); it may be damaged"
        ) from error
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)
