"""Reading a CV: .txt, .md, .pdf and .docx files of at most 5 MB, or pasted text.

One rule set for every door (the API's upload, `jobmatch cv add`, the web pages). Pure
functions of the bytes: nothing here touches the database, so a refused file can never
disturb the CV already stored.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import Any, Literal

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_CV_CHARS = 100_000
MAX_PDF_PAGES = 40
# Text extraction costs time in proportion to the page's decompressed content: a text
# page of a CV holds tens of kilobytes, a designed one well under a megabyte. Pages may
# share one stream, so the total counts it once per page that draws it.
MAX_PDF_PAGE_CONTENT_BYTES = 1024 * 1024
MAX_PDF_CONTENT_BYTES = 4 * 1024 * 1024
# pypdf's own caps on one stream's inflation (fonts and images included) and decoding work.
MAX_PDF_STREAM_BYTES = 8 * 1024 * 1024
MAX_PDF_DECODING_WORK = 64 * 1024 * 1024
MAX_PDF_FORMS_PER_PAGE = 200
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
ACCEPTED = ".txt, .md, .pdf or .docx"


Refusal = Literal["too_large", "unsupported", "empty", "too_complex"]


class CvFileError(ValueError):
    """A CV that cannot be used: `reason` says which rule it broke, `detail` how to fix it."""

    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason: Refusal = reason
        self.detail = detail


def read_cv_file(path: Path) -> tuple[str, str]:
    """The text and file name of the CV file at `path`, read in a bounded child process
    (`CvFileError` as for uploads; `OSError` when it cannot be read)."""
    from workers.pipelines.cv_sandbox import CvReader

    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise too_large(path.stat().st_size)
    return CvReader().read(path.name, path.read_bytes()), path.name


def extract_cv_text(filename: str | None, data: bytes) -> str:
    """The text of an uploaded CV file, in this process (doors use `CvReader`, which
    runs this in a child process with time and memory limits).

    Raises `CvFileError`: too large above 5 MB; unsupported for another type or a
    corrupt or password-protected PDF/DOCX; too complex when the file decompresses to far
    more than a CV holds; empty when the file holds no text.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large(len(data))
    kind = _kind(filename, data)
    if kind == "pdf":
        text = _pdf_text(data)
    elif kind == "docx":
        text = _docx_text(data)
    else:
        text = _plain_text(data)
    return clean_cv_text(text)


def too_large(size: int | None = None) -> CvFileError:
    """The refusal of a file above `MAX_UPLOAD_BYTES` (its size when known)."""
    what = f"the file is {size / 1e6:.1f} MB" if size else "the file is larger than 5 MB"
    return CvFileError("too_large", f"{what}; CVs may be at most 5 MB")


def too_complex(what: str) -> CvFileError:
    """The refusal of a file that would cost far more to read than a CV does."""
    return CvFileError(
        "too_complex",
        f"the file {what}, far more than a CV needs; export it again "
        "(e.g. save as PDF from a word processor) or paste the text",
    )


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
    import pypdf
    from pypdf.errors import FileNotDecryptedError, LimitReachedError

    limits = pypdf.get_configuration().with_overwrites(
        zlib_maximum_output_length=MAX_PDF_STREAM_BYTES,
        stream_decoding_work_maximum_length=MAX_PDF_DECODING_WORK,
        xform_maximum_invocations_per_extraction=MAX_PDF_FORMS_PER_PAGE,
    )
    try:
        with warnings.catch_warnings(), pypdf.apply_configuration(limits):
            # pypdf warns about quirks of real-world PDFs it reads fine anyway.
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(data))
            # Any viewer opens a PDF encrypted with an empty user password (RC4 or AES).
            if reader.is_encrypted and not reader.decrypt(""):
                raise FileNotDecryptedError("a user password is set")
            return "\n".join(_pages_text(reader.pages[:MAX_PDF_PAGES]))
    except CvFileError:
        raise
    except FileNotDecryptedError:
        raise CvFileError(
            "unsupported", "the PDF is password-protected; upload an unencrypted copy"
        ) from None
    except LimitReachedError:
        raise too_complex("decompresses to too much data") from None
    except Exception as error:  # pypdf raises many types for damaged files
        raise CvFileError(
            "unsupported", f"the PDF could not be read ({type(error).__name__}); it may be damaged"
        ) from error


def _pages_text(pages: Any) -> Iterator[str]:
    """Each page's text, refused once a page's or the pages' content passes its cap."""
    total = 0
    for page in pages:
        contents = page.get_contents()
        size = len(contents.get_data()) if contents is not None else 0
        total += size
        if size > MAX_PDF_PAGE_CONTENT_BYTES or total > MAX_PDF_CONTENT_BYTES:
            raise too_complex(f"draws {max(size, total) / 1e6:.1f} MB of page content")
        yield page.extract_text() or ""


def _docx_text(data: bytes) -> str:
    from workers.pipelines.cv_docx import DocxLimitError, docx_text

    if data.startswith(b"\xd0\xcf\x11\xe0"):
        # An OLE container: an encrypted .docx, or an old binary .doc renamed.
        raise CvFileError(
            "unsupported",
            "the document is encrypted or in the old .doc format; upload a plain .docx",
        )
    try:
        return docx_text(data)
    except DocxLimitError as error:
        raise too_complex(f"expands to too much data ({error})") from None
    except Exception as error:  # zipfile and lxml each raise their own types
        raise CvFileError(
            "unsupported",
            f"the .docx could not be read ({type(error).__name__}); it may be damaged",
        ) from error
