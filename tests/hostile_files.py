"""CV files built to hurt a reader, made here from nothing (no fixtures on disk)."""

from __future__ import annotations

import io
import zipfile
import zlib

from pypdf import PdfReader, PdfWriter


def pdf_from_objects(objects: list[bytes]) -> bytes:
    """A PDF whose object N is `objects[N - 1]`, with a correct cross-reference table."""
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


def text_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF with `lines` as real text (Helvetica)."""
    ops = " ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj 0 -16 Td" for line in lines)
    stream = f"BT /F1 12 Tf 72 720 Td {ops} ET".encode()
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        ]
    )


def shared_stream_pdf(pages: int = 40, inflated_bytes: int = 6_000_000) -> bytes:
    """Every page draws one content stream that inflates to `inflated_bytes` of text
    operators: a few kilobytes on disk, seconds of text extraction per page."""
    op = b"BT /F1 1 Tf 0 0 Td (a) Tj ET\n"
    content = zlib.compress(op * (inflated_bytes // len(op)), 9)
    font = 3 + pages
    kids = " ".join(f"{3 + n} 0 R" for n in range(pages)).encode()
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 "
        + f"{font} 0 R".encode()
        + b" >> >> /Contents "
        + f"{font + 1} 0 R".encode()
        + b" >>"
    )
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>",
            *([page] * pages),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length "
            + str(len(content)).encode()
            + b" /Filter /FlateDecode >>\nstream\n"
            + content
            + b"\nendstream",
        ]
    )


def encrypted_pdf(algorithm: str, user_password: str = "", owner: str = "owner") -> bytes:
    """A text PDF encrypted with `algorithm` (RC4-128, AES-128, AES-256)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(["Encrypted CV", "Python"]))))
    writer.encrypt(user_password=user_password, owner_password=owner, algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
    "</Types>"
)
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_with_body(paragraphs: int, words: int = 40) -> bytes:
    """A .docx of `paragraphs` paragraphs of `words` words each, deflated."""
    run = "<w:p><w:r><w:t>" + " ".join(["Python"] * words) + "</w:t></w:r></w:p>"
    body = f'<w:document xmlns:w="{W_NS}"><w:body>' + run * paragraphs + "</w:body></w:document>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_TYPES)
        archive.writestr("word/document.xml", body)
    return buffer.getvalue()


def near_cap_docx() -> bytes:
    """A document.xml of ~58 MB that deflates to a couple of hundred kilobytes."""
    return docx_with_body(paragraphs=200_000, words=40)


def zip_bomb_docx(inflated_bytes: int = 200_000_000) -> bytes:
    """A .docx whose document.xml declares a size the whole file cannot hold."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_TYPES)
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"<" + b"a" * (1024 * 1024 - 1)
            for _ in range(inflated_bytes // len(chunk)):
                part.write(chunk)
    return buffer.getvalue()
