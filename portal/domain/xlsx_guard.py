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
import os
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
        """BULK_* settings from the app config (or the environment), else the defaults."""
        values = {}
        for name in cls.__dataclass_fields__:
            key = "BULK_" + name.upper()
            raw = config.get(key) if config is not None else None
            if raw in (None, ""):
                raw = os.environ.get(key)
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
    if (name.startswith(("/", "\\")) or "\\" in name or re.match(r"^[A-Za-z]:", name)
            or ".." in name.split("/") or "\x00" in name):
        raise HostileFile("This file is not a valid Excel workbook: it contains a suspicious "
                          f"path ({name[:80]!r}).")


class _Scanner:
    """Streams one XML part through expat: no DTD, no entities; rows, columns, formulas, cells."""

    TEXT_TAGS = {"v", "t"}

    def __init__(self, part: str, limits: Limits, is_sheet: bool, is_strings: bool):
        self.part = part
        self.limits = limits
        self.is_sheet = is_sheet
        self.is_strings = is_strings
        self.rows = 0
        self.in_text = False
        self.text_len = 0
        self.text_start = True
        p = expat.ParserCreate(namespace_separator=" ")
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._entity
        p.ExternalEntityRefHandler = self._external
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._chars
        p.buffer_text = False
        self.parser = p

    def _doctype(self, *args):
        raise HostileFile("This file is refused: it declares XML entities (DTD), which Excel "
                          "never writes in a workbook.")

    def _entity(self, *args):
        raise HostileFile("This file is refused: it declares XML entities.")

    def _external(self, *args):
        raise HostileFile("This file is refused: it refers to external XML entities.")

    def _start(self, name: str, attrs: dict) -> None:
        local = name.rsplit(" ", 1)[-1]
        if self.is_sheet:
            if local == "f":
                raise HostileFile("This file is refused: it contains formulas. Paste the "
                                  "values only (Paste special → Values) and upload it again.")
            if local == "dimension":
                self._check_ref(attrs.get("ref", ""))
            elif local == "row":
                self.rows += 1
                if self.rows > self.limits.max_rows + 1:
                    raise HostileFile(f"This file has too many rows: at most "
                                      f"{self.limits.max_rows:,} rows can be uploaded at once.")
            elif local == "c":
                ref = attrs.get("r", "")
                m = _CELL_REF.match(ref)
                if m and _column_index(m.group(1)) > self.limits.max_columns:
                    raise HostileFile(f"This file has too many columns: at most "
                                      f"{self.limits.max_columns} are allowed.")
        if self.is_strings:
            if local == "si":
                self.text_len = 0
                self.text_start = True
            elif local == "t":
                self.in_text = True
        elif self.is_sheet and local in self.TEXT_TAGS:
            self.in_text = True
            self.text_start = True
            self.text_len = 0

    def _end(self, name: str) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local in self.TEXT_TAGS:
            self.in_text = False

    def _chars(self, data: str) -> None:
        if not self.in_text:
            return
        if self.text_start and data:
            self.text_start = False
            if data[0] == "=":
                raise HostileFile("This file is refused: a cell starts with \"=\" (a formula). "
                                  "Remove it or type the value without the \"=\".")
        self.text_len += len(data)
        if self.text_len > self.limits.max_cell_chars:
            raise HostileFile(f"This file is refused: a cell holds more than "
                              f"{self.limits.max_cell_chars:,} characters.")

    def _check_ref(self, ref: str) -> None:
        last = ref.split(":")[-1].replace("$", "")
        m = _CELL_REF.match(last)
        if not m:
            return
        if int(m.group(2)) > self.limits.max_rows + 1:
            raise HostileFile(f"This file has too many rows: at most {self.limits.max_rows:,} "
                              "rows can be uploaded at once.")
        if _column_index(m.group(1)) > self.limits.max_columns:
            raise HostileFile(f"This file has too many columns: at most "
                              f"{self.limits.max_columns} are allowed.")

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise HostileFile("This file is not a valid Excel workbook (broken XML in "
                              f"{self.part}).") from exc


def check_xlsx(data: bytes, limits: Limits | None = None) -> None:
    """Raise HostileFile unless `data` looks like a plain .xlsx workbook within the limits."""
    limits = limits or Limits()
    if len(data) > limits.max_file_bytes:
        raise HostileFile(f"This file is too large: at most "
                          f"{limits.max_file_bytes // (1024 * 1024)} MB can be uploaded.")
    if not data.startswith(ZIP_MAGIC):
        raise HostileFile("This file is not an Excel workbook (.xlsx). Download the template, "
                          "fill it in and upload it again.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise HostileFile("This file is not an Excel workbook (.xlsx): it cannot be opened.") from exc
    if len(infos) > limits.max_entries:
        raise HostileFile("This file is not a plain Excel workbook: it holds too many parts.")
    names = set()
    declared = 0
    for info in infos:
        _check_name(info.filename)
        names.add(info.filename)
        if info.flag_bits & 0x1:
            raise HostileFile("This file is refused: it is encrypted or password-protected.")
        if info.filename.lower().endswith("vbaproject.bin"):
            raise HostileFile("This file contains macros (.xlsm). Save it as a plain Excel "
                              "workbook (.xlsx) and upload it again.")
        declared += info.file_size
        if declared > limits.max_unpacked_bytes:
            raise HostileFile("This file is refused: it unpacks to more than "
                              f"{limits.max_unpacked_bytes // (1024 * 1024)} MB.")
        if (info.file_size > RATIO_MIN_BYTES
                and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
            raise HostileFile("This file is refused: it is compressed suspiciously well "
                              "(a zip bomb?).")
    if "[Content_Types].xml" not in names:
        raise HostileFile("This file is not an Excel workbook (.xlsx): it has no content types.")

    unpacked = 0
    content_types = b""
    for info in infos:
        name = info.filename
        if not name.lower().endswith((".xml", ".rels", ".vml")):
            continue
        is_sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
        is_strings = name == "xl/sharedStrings.xml"
        scanner = _Scanner(name, limits, is_sheet, is_strings)
        try:
            with zf.open(info) as fh:
                while True:
                    chunk = fh.read(CHUNK)
                    if not chunk:
                        break
                    unpacked += len(chunk)
                    if unpacked > limits.max_unpacked_bytes:
                        raise HostileFile("This file is refused: it unpacks to more than "
                                          f"{limits.max_unpacked_bytes // (1024 * 1024)} MB.")
                    if name == "[Content_Types].xml" and len(content_types) < 1024 * 1024:
                        content_types += chunk
                    scanner.feed(chunk)
            scanner.feed(b"", final=True)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            # a size or checksum that does not match what inflates, an unknown compression…
            raise HostileFile("This file is not a valid Excel workbook: it is damaged "
                              f"({name[:80]}).") from exc

    types = content_types.decode("utf-8", "replace").lower()
    if any(t in types for t in MACRO_TYPES):
        raise HostileFile("This file contains macros (.xlsm). Save it as a plain Excel "
                          "workbook (.xlsx) and upload it again.")
    if SPREADSHEET_MAIN not in types:
        raise HostileFile("This file is not an Excel workbook (.xlsx). Download the template, "
                          "fill it in and upload it again.")
