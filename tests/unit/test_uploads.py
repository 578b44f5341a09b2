"""CV files to text: each accepted type read, each refused one with the right status."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import docx
import pytest

from server.errors import CV_FILE_STATUS
from tests import hostile_files
from workers.pipelines.cv_files import MAX_CV_CHARS, MAX_UPLOAD_BYTES, CvFileError, extract_cv_text
from workers.pipelines.cv_sandbox import CvReader

make_pdf = hostile_files.text_pdf


def make_docx(lines: list[str]) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Skills"
    table.rows[0].cells[1].text = "PostgreSQL"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_text_and_markdown_are_read() -> None:
    assert extract_cv_text("cv.txt", b"Python developer\n") == "Python developer"
    assert extract_cv_text("CV.MD", "\ufeff# Ana\nRust".encode()) == "# Ana\nRust"
    assert extract_cv_text(None, b"no name, plain text") == "no name, plain text"


def test_pdf_text_is_extracted() -> None:
    text = extract_cv_text("cv.pdf", make_pdf(["Backend engineer", "Python and PostgreSQL"]))
    assert "Backend engineer" in text
    assert "PostgreSQL" in text
    assert "Backend" in extract_cv_text(None, make_pdf(["Backend"]))  # sniffed by signature


def test_docx_paragraphs_and_tables_are_extracted() -> None:
    text = extract_cv_text("cv.docx", make_docx(["Data analyst", "SQL and Tableau"]))
    assert "Data analyst" in text
    assert "Skills | PostgreSQL" in text


def _status(filename: str | None, data: bytes) -> int:
    """The HTTP status the API answers this refusal with."""
    with pytest.raises(CvFileError) as caught:
        extract_cv_text(filename, data)
    assert caught.value.detail  # every refusal says why
    return CV_FILE_STATUS[caught.value.reason]


def test_too_large_is_413() -> None:
    assert _status("cv.txt", b"a" * (MAX_UPLOAD_BYTES + 1)) == 413


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("cv.png", b"\x89PNG\r\n"),
        ("cv.exe", b"MZ"),
        ("cv.doc", b"\xd0\xcf\x11\xe0old word"),
        ("cv.pdf", b"%PDF-1.4 this is not a pdf"),
        ("cv.pdf", b"plain text renamed"),
        ("cv.docx", b"PK\x03\x04broken zip"),
        ("cv.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1encrypted"),
        ("cv.txt", b"\xff\xfe\x00\x00binary"),
        ("cv.txt", b"nul\x00bytes"),
    ],
)
def test_wrong_type_or_damaged_is_415(filename: str, data: bytes) -> None:
    assert _status(filename, data) == 415


def test_password_protected_pdf_is_415() -> None:
    assert _status("cv.pdf", hostile_files.encrypted_pdf("RC4-128", user_password="s")) == 415
    assert _status("cv.pdf", hostile_files.encrypted_pdf("AES-256", user_password="s")) == 415


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_pdf_any_viewer_opens_is_read(algorithm: str) -> None:
    """Encrypted with an owner password only: the empty user password opens it."""
    assert "Encrypted CV" in extract_cv_text("cv.pdf", hostile_files.encrypted_pdf(algorithm))


def test_docx_zip_that_is_not_a_document_is_415() -> None:
    buffer = io.BytesIO()

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    assert _status("cv.docx", buffer.getvalue()) == 415


def test_empty_text_is_422_and_long_text_is_capped() -> None:
    assert _status("cv.txt", b"   \n\t ") == 422
    assert _status("cv.pdf", make_pdf([])) == 422
    assert len(extract_cv_text("cv.txt", b"x" * (MAX_CV_CHARS + 50))) == MAX_CV_CHARS


def _refusal(reader: CvReader, filename: str, data: bytes) -> tuple[int, str, float]:
    started = time.monotonic()
    with pytest.raises(CvFileError) as caught:
        reader.read(filename, data)
    return CV_FILE_STATUS[caught.value.reason], caught.value.detail, time.monotonic() - started


@pytest.mark.parametrize(
    ("filename", "build"),
    [
        ("cv.pdf", hostile_files.shared_stream_pdf),  # 21 KB: 40 pages x one 6 MB stream
        ("cv.docx", hostile_files.near_cap_docx),  # 0.3 MB: a 62 MB document.xml
        ("cv.docx", hostile_files.zip_bomb_docx),  # 0.2 MB: 200 MB inflated
    ],
)
def test_hostile_files_are_refused_within_seconds(filename: str, build: Any) -> None:
    data = build()
    assert len(data) < 400_000
    status, detail, seconds = _refusal(CvReader(), filename, data)
    assert status == 422
    assert "far more than a CV needs" in detail
    assert seconds < 5


def test_the_child_is_stopped_at_its_cpu_limit() -> None:
    """Four pages of 1 MB content each pass the caps but cost seconds of CPU to read."""
    data = hostile_files.shared_stream_pdf(pages=4, inflated_bytes=1_000_000)
    status, detail, seconds = _refusal(CvReader(cpu_seconds=1), "cv.pdf", data)
    assert status == 422
    assert "1 s of processing" in detail
    assert seconds < 4


def test_the_child_is_killed_at_its_wall_clock_limit() -> None:
    data = hostile_files.shared_stream_pdf(pages=4, inflated_bytes=1_000_000)
    status, detail, seconds = _refusal(CvReader(wall_seconds=0.5), "cv.pdf", data)
    assert status == 422
    assert "took more than" in detail
    assert seconds < 3


def test_the_reader_reads_what_extract_reads() -> None:
    reader = CvReader()
    pdf = hostile_files.encrypted_pdf("AES-128")
    assert reader.read("cv.pdf", pdf) == extract_cv_text("cv.pdf", pdf)
    assert "Skills | PostgreSQL" in reader.read("cv.docx", make_docx(["Data analyst"]))
    assert _refusal(reader, "cv.png", b"\x89PNG")[0] == 415


def test_docx_tables_keep_document_order_and_nested_cells() -> None:
    text = extract_cv_text("cv.docx", make_docx(["Data analyst", "SQL"]))
    assert text.splitlines() == ["Data analyst", "SQL", "Skills | PostgreSQL"]
