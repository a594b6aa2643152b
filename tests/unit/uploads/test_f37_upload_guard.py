"""F-37: the upload guard (portal/domain/uploads.py) — real type by content, size, image
decompression bombs, PDFs with active content, storage outside the web root. Hostile files are
refused with a clear message, quickly, and nothing is stored."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib

import pytest
from PIL import Image

from portal.domain import uploads
from portal.domain.uploads import Limits, UploadRefused, check_upload


def png(width=20, height=10) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buf, "PNG")
    return buf.getvalue()


def jpeg(width=20, height=10) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buf, "JPEG")
    return buf.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares a huge image over a tiny compressed body (a bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = (
        struct.pack(">I", len(ihdr))
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    )
    body = zlib.compress(b"\x00" * 1_000_000, 9)
    idat = (
        struct.pack(">I", len(body))
        + b"IDAT"
        + body
        + struct.pack(">I", zlib.crc32(b"IDAT" + body))
    )
    return b"\x89PNG\r\n\x1a\n" + chunk + idat + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def pdf(extra: bytes = b"", stream: bytes | None = None) -> bytes:
    parts = [b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R " + extra + b">> endobj\n"]
    if stream is not None:
        parts.append(
            b"3 0 obj << /Type /ObjStm /Filter /FlateDecode /Length %d >>\nstream\n" % len(stream)
            + stream
            + b"\nendstream endobj\n"
        )
    parts.append(b"trailer << /Root 1 0 R >>\n%%EOF\n")
    return b"".join(parts)


def test_f37_plain_files_pass_with_their_real_type():
    for data, kind in ((png(), "png"), (jpeg(), "jpeg"), (pdf(), "pdf")):
        up = check_upload("scan", data)
        assert up.kind == kind and up.content_type.endswith(kind if kind != "jpeg" else "jpeg")
        assert len(up.sha256) == 64
    # the name does not decide: a PNG named .pdf is a PNG, and its name says so
    up = check_upload("../../etc/cover.pdf", png())
    assert (up.kind, up.filename) == ("png", "cover.png")


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.pdf", b"", "empty"),
        ("cover.pdf", b"MZ\x90\x00 this is an exe", "checked by its content"),
        ("cover.pdf", b"<html><script>alert(1)</script>", "checked by its content"),
        ("cover.png", b"GIF89a" + b"\x00" * 20, "checked by its content"),
        ("bomb.png", png_header(100_000, 100_000), "too large"),
        ("bomb.png", png_header(30_000, 10), "too large"),
        ("bad.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged"),
        ("bad.jpg", b"\xff\xd8\xff\xd9", "damaged"),
        ("js.pdf", pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "active content"),
        ("launch.pdf", pdf(b"/AA << /O << /S /Launch /F (cmd.exe) >> >>"), "active content"),
        ("hex.pdf", pdf(b"/Names << /J#61vaScript 4 0 R >>"), "/JavaScript"),
        ("embedded.pdf", pdf(b"/Names << /EmbeddedFiles 5 0 R >>"), "/EmbeddedFiles"),
        (
            "objstm.pdf",
            pdf(stream=zlib.compress(b"<< /OpenAction << /S /JavaScript /JS (x) >> >>")),
            "/OpenAction",
        ),
        ("locked.pdf", pdf(b"/Encrypt 9 0 R"), "encrypted"),
    ],
)
def test_f37_hostile_files_refused_clearly_and_fast(name, data, message):
    start = time.monotonic()
    with pytest.raises(UploadRefused, match=message) as err:
        check_upload(name, data)
    assert time.monotonic() - start < 2
    assert err.value.field == "file"


def test_f37_size_limit_and_inflation_budget():
    with pytest.raises(UploadRefused, match="larger than 1 MB"):
        check_upload(
            "big.pdf",
            b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 1),
            limits=Limits(max_bytes=1024 * 1024),
        )
    # a PDF stream that inflates far beyond the budget (a zip bomb in a PDF)
    bomb = pdf(stream=zlib.compress(b"\x00" * (8 * 1024 * 1024), 9))
    start = time.monotonic()
    with pytest.raises(UploadRefused, match="too much data"):
        check_upload("bomb.pdf", bomb, limits=Limits(max_inflated_bytes=4 * 1024 * 1024))
    assert time.monotonic() - start < 2
    with pytest.raises(UploadRefused, match="PDF file"):
        check_upload("cover.png", png(), allowed=("pdf",))


def test_f37_store_outside_the_web_root_and_serve_as_attachment(tmp_path):
    up = check_upload("Umschlag – Grün.jpg", jpeg())
    rel = uploads.store(up, str(tmp_path), "cover_pages")
    path = uploads.stored_path(str(tmp_path), rel)
    with open(path, "rb") as fh:
        assert path.startswith(str(tmp_path)) and fh.read() == up.data
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert "static" not in path
    with pytest.raises(UploadRefused):
        uploads.stored_path(str(tmp_path), "../../etc/passwd")
    h = uploads.attachment_headers(up.filename, up.content_type)
    assert h["Content-Disposition"].startswith("attachment;")
    assert h["X-Content-Type-Options"] == "nosniff" and h["Content-Type"] == "image/jpeg"
