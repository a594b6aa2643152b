"""Refuse hostile spreadsheets before openpyxl parses them (F-16).

An upload is opened as a zip and checked by content, never by name: the zip magic, a
[Content_Types].xml that declares a spreadsheet (and no macros), entry names without path
traversal, the declared and the *actual* unpacked sizes (a zip bomb can lie in its headers, so
every XML part is decompressed here in chunks with a running cap), the compression ratio of
each entry, and then every XML part is streamed through expat with DTDs and entities refused
(billion laughs), counting rows and columns, and refusing formulas and huge cells. Memory stays
bounded: nothing is held but the current chunk.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat

from portal.domain import DomainError

SPREADSHEET_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_TYPES = (
    "application/vnd.ms-excel.sheet.macroenabled.main+xml",
    "application/vnd.ms-office.vbaproject",
    "application/vnd.ms-excel.template.macroenabled.main+xml",
    "application/vnd.ms-excel.addin.macroenabled.main+xml",
)
ZIP_MAGIC = b"PK\x03\x04"
CHUNK = 64 * 1024
# a tiny entry may compress very well without being dangerous; the ratio applies above this
RATIO_MIN_BYTES = 64 * 1024


class HostileFile(DomainError):
    """The upload is refused; the message says why, in the user's words."""

    def __init__(self, message: str):
        super().__init__(message, field="file", code="hostile_file")


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 16 * 1024 * 1024
    max_unpacked_bytes: int = 100 * 1024 * 1024
    max_ratio: int = 50
    max_rows: int = 20_000  # data rows, the header not counted
    max_columns: int = 40
    max_cell_chars: int = 2_000
    max_entries: int = 200

    @classmethod
    def from_config(cls, config) -> Limits:
        """The BULK_* settings of the app config (read from the environment in
        portal/config.py); a missing or empty one keeps its default."""
        values = {}
        for name in cls.__dataclass_fields__:
            raw = config.get("BULK_" + name.upper()) if config is not None else None
            if raw not in (None, ""):
                values[name] = int(raw)
        return cls(**values)


_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _check_name(name: str) -> None:
    if (
        name.startswith(("/", "\\"))
        or "\\" in name
        or re.match(r"^[A-Za-z]:", name)
        or ".." in name.split("/")
        or "\x00" in name
    ):
        raise HostileFile(
            "This file is not a valid Excel workbook: it contains a suspicious "
            f"path ({name[:80]!r})."
        )


_XML_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*<")
_OTHER_ENCODING = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\bencoding\s*=\s*[\"'](?!utf-?8[\"'])", re.I
)
_ROW = re.compile(rb"<(?:\w+:)?row[\s>]")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_EQUALS = re.compile(rb"<(?:\w+:)?(?:t|v)(?:\s[^>]*)?>=")
_WIDE_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{2,3})\d')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s[^>]*?\bref="([^"]*)"')


class _Scanner:
    """Streams one XML part: expat (C speed, no Python callbacks per element) refuses DTDs and
    entities and broken XML; on sheets and shared strings, regular expressions over the same
    chunks count rows and find formulas, "=" values, wide columns and huge cells. A chunk is
    examined up to its last "<"; the rest is carried over, so nothing is split."""

    def __init__(self, part: str, limits: Limits, is_sheet: bool, is_strings: bool):
        self.part = part
        self.limits = limits
        self.is_sheet = is_sheet
        self.is_strings = is_strings
        self.rows = 0
        self.carry = b""
        self.huge = re.compile(rb">([^<]{%d,})" % (limits.max_cell_chars + 1))
        p = expat.ParserCreate()
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._entity
        p.ExternalEntityRefHandler = self._external
        self.parser = p

    def _doctype(self, *args):
        raise HostileFile(
            "This file is refused: it declares XML entities (DTD), which Excel "
            "never writes in a workbook."
        )

    def _entity(self, *args):
        raise HostileFile("This file is refused: it declares XML entities.")

    def _external(self, *args):
        raise HostileFile("This file is refused: it refers to external XML entities.")

    def _too_many_rows(self):
        return HostileFile(
            f"This file has too many rows: at most {self.limits.max_rows:,} "
            "rows can be uploaded at once."
        )

    def _too_many_columns(self):
        return HostileFile(
            f"This file has too many columns: at most {self.limits.max_columns} are allowed."
        )

    def _check_ref(self, ref: str) -> None:
        last = ref.split(":")[-1].replace("$", "")
        m = _CELL_REF.match(last)
        if not m:
            return
        if int(m.group(2)) > self.limits.max_rows + 1:
            raise self._too_many_rows()
        if _column_index(m.group(1)) > self.limits.max_columns:
            raise self._too_many_columns()

    def _examine(self, text: bytes) -> None:
        for m in self.huge.finditer(text):
            if len(m.group(1).decode("utf-8", "replace")) > self.limits.max_cell_chars:
                raise HostileFile(
                    f"This file is refused: a cell holds more than "
                    f"{self.limits.max_cell_chars:,} characters."
                )
        if _EQUALS.search(text):
            raise HostileFile(
                'This file is refused: a cell starts with "=" (a formula). '
                'Remove it or type the value without the "=".'
            )
        if not self.is_sheet:
            return
        if _FORMULA.search(text):
            raise HostileFile(
                "This file is refused: it contains formulas. Paste the values "
                "only (Paste special → Values) and upload it again."
            )
        if self.rows == 0:
            dimension = _DIMENSION.search(text)
            if dimension:
                self._check_ref(dimension.group(1).decode("ascii", "replace"))
        self.rows += len(_ROW.findall(text))
        if self.rows > self.limits.max_rows + 1:
            raise self._too_many_rows()
        for m in _WIDE_CELL.finditer(text):
            if _column_index(m.group(1).decode()) > self.limits.max_columns:
                raise self._too_many_columns()

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise HostileFile(
                f"This file is not a valid Excel workbook (broken XML in {self.part})."
            ) from exc
        if not (self.is_sheet or self.is_strings):
            return
        buffer = self.carry + data
        cut = len(buffer) if final else buffer.rfind(b"<")
        if cut <= 0:
            # no tag in sight: all text; a run this long is a huge cell whatever follows
            self.carry = buffer
            if len(buffer) > 4 * self.limits.max_cell_chars + 16:
                self._examine(b">" + buffer)
                self.carry = buffer[-(4 * self.limits.max_cell_chars + 16) :]
            return
        self._examine(buffer[:cut])
        self.carry = buffer[cut:]


def check_xlsx(data: bytes, limits: Limits | None = None) -> None:
    """Raise HostileFile unless `data` looks like a plain .xlsx workbook within the limits."""
    limits = limits or Limits()
    zf, infos = _open_zip(data, limits)
    _check_entries(infos, limits)
    content_types = _scan_parts(zf, infos, limits)
    _check_content_types(content_types)


def _open_zip(data: bytes, limits: Limits) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The archive and its entries: a zip of a size and a number of parts within the limits."""
    if len(data) > limits.max_file_bytes:
        raise HostileFile(
            f"This file is too large: at most "
            f"{limits.max_file_bytes // (1024 * 1024)} MB can be uploaded."
        )
    if not data.startswith(ZIP_MAGIC):
        raise HostileFile(
            "This file is not an Excel workbook (.xlsx). Download the template, "
            "fill it in and upload it again."
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise HostileFile(
            "This file is not an Excel workbook (.xlsx): it cannot be opened."
        ) from exc
    if len(infos) > limits.max_entries:
        raise HostileFile("This file is not a plain Excel workbook: it holds too many parts.")
    return zf, infos


def _check_entries(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """What the directory says, before anything is inflated: names, encryption, macros, the
    declared sizes and compression ratios, the content types part."""
    names = set()
    declared = 0
    for info in infos:
        _check_name(info.filename)
        names.add(info.filename)
        if info.flag_bits & 0x1:
            raise HostileFile("This file is refused: it is encrypted or password-protected.")
        if info.filename.lower().endswith("vbaproject.bin"):
            raise HostileFile(
                "This file contains macros (.xlsm). Save it as a plain Excel "
                "workbook (.xlsx) and upload it again."
            )
        declared += info.file_size
        if declared > limits.max_unpacked_bytes:
            raise _too_big(limits)
        if info.file_size > RATIO_MIN_BYTES and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise HostileFile(
                "This file is refused: it is compressed suspiciously well (a zip bomb?)."
            )
    if "[Content_Types].xml" not in names:
        raise HostileFile("This file is not an Excel workbook (.xlsx): it has no content types.")


def _too_big(limits: Limits) -> HostileFile:
    return HostileFile(
        "This file is refused: it unpacks to more than "
        f"{limits.max_unpacked_bytes // (1024 * 1024)} MB."
    )


def _scan_parts(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits) -> bytes:
    """Inflate every part in chunks, counting what it really unpacks to, and feed each XML
    part to the sheet rules; returns (the start of) the content types part."""
    unpacked = 0
    content_types = b""
    for info in infos:
        name = info.filename
        try:
            with zf.open(info) as fh:
                chunk = fh.read(CHUNK)
                if not _is_utf8_xml(name, chunk):
                    continue  # a picture or another binary part
                scanner = _Scanner(name, limits, is_sheet=True, is_strings=True)
                while chunk:
                    unpacked += len(chunk)
                    if unpacked > limits.max_unpacked_bytes:
                        raise _too_big(limits)
                    if name == "[Content_Types].xml" and len(content_types) < 1024 * 1024:
                        content_types += chunk
                    scanner.feed(chunk)
                    chunk = fh.read(CHUNK)
            scanner.feed(b"", final=True)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            # a size or checksum that does not match what inflates, an unknown compression…
            raise HostileFile(
                f"This file is not a valid Excel workbook: it is damaged ({name[:80]})."
            ) from exc
    return content_types


def _is_utf8_xml(name: str, chunk: bytes) -> bool:
    """Whether the part starting with `chunk` is XML (False: a binary part); XML in another
    encoding than UTF-8 is refused. openpyxl opens whatever part the relationships name, in the
    encoding its XML declares: every part that is XML gets the sheet rules, and only UTF-8 is
    let through (the rules read bytes; Excel always writes UTF-8)."""
    head = chunk[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"<" in head and b"\x00" in head):
        raise HostileFile(
            f"This file is not a plain Excel workbook: a part of it is not UTF-8 XML ({name[:80]})."
        )
    if not name.lower().endswith((".xml", ".rels", ".vml")) and not _XML_START.match(chunk):
        return False
    if _OTHER_ENCODING.match(chunk):
        raise HostileFile(
            f"This file is not a plain Excel workbook: a part of it is not UTF-8 XML ({name[:80]})."
        )
    return True


def _check_content_types(content_types: bytes) -> None:
    """A spreadsheet, and no macro-enabled content type."""
    types = content_types.decode("utf-8", "replace").lower()
    if any(t in types for t in MACRO_TYPES):
        raise HostileFile(
            "This file contains macros (.xlsm). Save it as a plain Excel "
            "workbook (.xlsx) and upload it again."
        )
    if SPREADSHEET_MAIN not in types:
        raise HostileFile(
            "This file is not an Excel workbook (.xlsx). Download the template, "
            "fill it in and upload it again."
        )
