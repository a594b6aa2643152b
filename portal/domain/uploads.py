"""The one guard for uploaded documents (PDF, PNG, JPEG): checked by content, stored outside the
web root, served as attachments. Used by the paper cover-page evidence (F-37); meant for every
other document upload (pre-declaration attachments…).

    upload = check_upload(filename, data, allowed=("pdf", "png", "jpeg"))   # or UploadRefused
    relpath = store(upload, storage_dir, "cover_pages")                     # STORAGE_DIR/…
    path = stored_path(storage_dir, relpath)                                # to send it back
    headers = attachment_headers(upload.filename, upload.content_type)

What `check_upload` refuses, each with a sentence for the person who sent it (nothing is
stored before it passes; it reads headers and bounded chunks only, so a hostile file is refused
in milliseconds):
- an empty file, or one larger than `Limits.max_bytes`;
- a type not in `allowed`, decided by the magic bytes — never by the name or the Content-Type;
- images whose header declares more than `Limits.max_pixels` pixels or a side above
  `Limits.max_side` (decompression bombs: the pixels, not the bytes, cost memory when decoded),
  or whose header cannot be read (a PNG without IHDR first, a JPEG without a frame header);
- PDFs that are encrypted (they could not be inspected) or that name an active feature —
  /JavaScript, /JS, /OpenAction, /AA, /Launch, /EmbeddedFile(s), /RichMedia, /XFA,
  /SubmitForm, /ImportData, /GoToE — in the file or inside its Flate streams (object streams
  can hide them), with `#xx` escapes in names decoded first; streams are inflated with a running
  cap (`Limits.max_inflated_bytes` in all), beyond which the file is refused.

`store` writes under `STORAGE_DIR/<folder>/` (the instance folder, never under static/) with a
random name and mode 0600; `stored_path` refuses a path leaving the folder. Responses use
`attachment_headers`: Content-Disposition: attachment, X-Content-Type-Options: nosniff, a
Content-Security-Policy that runs nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from urllib.parse import quote

from flask_babel import gettext as _

from portal.domain import DomainError

CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}
EXTENSIONS = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg"}
NAMES = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG"}  # the same in every language


def _kinds_list(names: list[str]) -> str:
    """ "PDF, PNG or JPEG" in the reader's language."""
    if len(names) < 2:
        return "".join(names)
    return _("%(first)s or %(last)s", first=", ".join(names[:-1]), last=names[-1])


PDF_ACTIVE = (
    b"JavaScript",
    b"JS",
    b"OpenAction",
    b"AA",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"RichMedia",
    b"XFA",
    b"SubmitForm",
    b"ImportData",
    b"GoToE",
)
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n")
CHUNK = 64 * 1024


class UploadRefused(DomainError):
    """The file is refused; the message says why. Nothing was stored."""

    def __init__(self, message: str, code: str = "upload_refused"):
        super().__init__(message, field="file", code=code)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 5 * 1024 * 1024
    max_pixels: int = 40_000_000  # e.g. 8000 × 5000; Pillow's MAX_IMAGE_PIXELS is 89 M
    max_side: int = 20_000
    max_inflated_bytes: int = 50 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    filename: str  # the sender's name, cleaned (for Content-Disposition only)
    kind: str  # pdf, png, jpeg — from the content
    content_type: str
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def sniff(data: bytes) -> str | None:
    """The type by its magic bytes."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def clean_filename(filename: str | None, kind: str) -> str:
    """A display name: the base name, printable, at most 100 characters, with the extension
    of the real type."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(
        ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C"
    )
    stem = os.path.splitext(name)[0].strip(" .")[:90] or "document"
    return stem + EXTENSIONS[kind]


def check_upload(
    filename: str | None,
    data: bytes,
    allowed: tuple[str, ...] = ("pdf", "png", "jpeg"),
    limits: Limits | None = None,
) -> Upload:
    limits = limits or Limits()
    if not data:
        raise UploadRefused(_("The file is empty."))
    if len(data) > limits.max_bytes:
        raise UploadRefused(
            _("The file is larger than %(mb)s MB.", mb=limits.max_bytes // (1024 * 1024)),
            code="too_large",
        )
    kind = sniff(data)
    if kind is None or kind not in allowed:
        raise UploadRefused(
            _(
                "Send a %(kinds)s file (checked by its content, not its name).",
                kinds=_kinds_list([str(NAMES[k]) for k in allowed]),
            ),
            code="wrong_type",
        )
    if kind == "png":
        _check_size(*png_size(data), limits)
    elif kind == "jpeg":
        _check_size(*jpeg_size(data), limits)
    else:
        check_pdf(data, limits)
    return Upload(
        clean_filename(filename, kind),
        kind,
        CONTENT_TYPES[kind],
        data,
        hashlib.sha256(data).hexdigest(),
    )


# --- images: the declared size, from the header --------------------------------------------


def _check_size(width: int, height: int, limits: Limits) -> None:
    if width <= 0 or height <= 0:
        raise UploadRefused(_("The image has no size: it is damaged."))
    if width > limits.max_side or height > limits.max_side or width * height > limits.max_pixels:
        raise UploadRefused(
            _(
                "The image is too large (%(width)s × %(height)s pixels; at most %(millions)s "
                "million pixels): scan it at a lower resolution.",
                width=width,
                height=height,
                millions=limits.max_pixels // 1_000_000,
            ),
            code="image_too_large",
        )


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise UploadRefused(_("The PNG image is damaged (no header)."))
    width, height = struct.unpack(">II", data[16:24])
    return width, height


SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from the first frame header (SOFn), walking the markers."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end, or scan data before any frame header
            break
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2:
            break
        if marker in SOF_MARKERS:
            if i + 9 > n:
                break
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise UploadRefused(_("The JPEG image is damaged (no frame header)."))


# --- PDFs: no active content ----------------------------------------------------------------


def _names(chunk: bytes) -> set[bytes]:
    return {_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), n) for n in _PDF_NAME.findall(chunk)}


def _refuse_active(chunk: bytes) -> None:
    found = _names(chunk) & set(PDF_ACTIVE)
    if found:
        what = ", ".join(sorted("/" + f.decode("latin-1") for f in found))
        raise UploadRefused(
            _(
                "The PDF contains active content (%(what)s): send a plain scan or print it to a "
                "new PDF first.",
                what=what,
            ),
            code="pdf_active_content",
        )


def check_pdf(data: bytes, limits: Limits) -> None:
    _refuse_active(data)
    if b"/Encrypt" in data or any(n == b"Encrypt" for n in _names(data)):
        raise UploadRefused(
            _("The PDF is encrypted and cannot be checked: send it without a password."),
            code="pdf_encrypted",
        )
    budget = limits.max_inflated_bytes
    for match in _STREAM.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        try:
            budget = _inflate_and_scan(data[start : end if end >= 0 else len(data)], budget)
        except zlib.error:
            continue  # not a Flate stream (an image's DCT data…): scanned as raw bytes above


def _inflate_and_scan(raw: bytes, budget: int) -> int:
    """Inflate one stream in bounded pieces, scanning each; the budget left."""
    inflater = zlib.decompressobj()
    tail = b""
    for pos in range(0, len(raw), CHUNK):
        pending = raw[pos : pos + CHUNK]
        while pending:
            out = inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
            budget -= len(out)
            if budget < 0:
                raise UploadRefused(
                    _("The PDF unpacks to too much data to be checked."), code="pdf_too_big"
                )
            _refuse_active(tail + out)
            tail = out[-64:]
            if inflater.eof:
                return budget
    return budget


# --- storing and serving --------------------------------------------------------------------


def store(upload: Upload, storage_dir: str, folder: str) -> str:
    """Write the file under STORAGE_DIR/<folder>/ with a random name; the relative path."""
    if not re.fullmatch(r"[a-z_]+", folder):
        raise ValueError(folder)
    root = os.path.realpath(storage_dir)
    os.makedirs(os.path.join(root, folder), exist_ok=True)
    rel = f"{folder}/{secrets.token_hex(16)}{EXTENSIONS[upload.kind]}"
    fd = os.open(os.path.join(root, rel), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(upload.data)
    return rel


def stored_path(storage_dir: str, relpath: str) -> str:
    root = os.path.realpath(storage_dir)
    path = os.path.realpath(os.path.join(root, relpath))
    if not path.startswith(root + os.sep):
        raise UploadRefused(_("No such file."), code="not_found")
    return path


def remove(storage_dir: str, relpath: str) -> None:
    try:
        os.remove(stored_path(storage_dir, relpath))
    except FileNotFoundError:
        pass


def attachment_headers(filename: str, content_type: str) -> dict[str, str]:
    """Served as a download, never rendered by the browser in the site's origin."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:100] or "document"
    return {
        "Content-Type": content_type,
        "Content-Disposition": (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }
