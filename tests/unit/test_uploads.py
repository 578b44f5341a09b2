"""CV files to text: each accepted type read, each refused one with the right status."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from pypdf import PdfReader, PdfWriter

from server.app import CV_FILE_STATUS
from workers.pipelines.cv_files import MAX_CV_CHARS, MAX_UPLOAD_BYTES, CvFileError, extract_cv_text


def make_pdf(lines: list[str]) -> bytes:
    """A small valid one-page PDF with `lines` as real text (Helvetica), built by hand."""
    text_ops = " ".join(
        f"({line.replace('(', '[').replace(')', ']')}) Tj 0 -16 Td" for line in lines
    )
    stream = f"BT /F1 12 Tf 72 720 Td {text_ops} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


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


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Secret CV"]))))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
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
    assert _status("cv.pdf", encrypted_pdf()) == 415


def test_docx_zip_that_is_not_a_document_is_415() -> None:
    buffer = io.BytesIO()

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    assert _status("cv.docx", buffer.getvalue()) == 415


def test_empty_text_is_422_and_long_text_is_capped() -> None:
    assert _status("cv.txt", b"   \n\t ") == 422
    assert _status("cv.pdf", make_pdf([])) == 422
    assert len(extract_cv_text("cv.txt", b"x" * (MAX_CV_CHARS + 50))) == MAX_CV_CHARS
