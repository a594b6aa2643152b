"""F-16 hostile spreadsheets are refused before openpyxl parses them, and nothing is stored."""

from __future__ import annotations

import io
import zipfile

import pytest

from portal.domain.xlsx_guard import HostileFile, Limits, check_xlsx
from tests.unit.bulk.xlsx_builders import rezip, workbook

HEADER = ["Name", "Territory", "Active"]
SHEET = "xl/worksheets/sheet1.xml"
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    b'<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>\n'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
    b'uniqueCount="1"><si><t>&lol4;</t></si></sst>'
)


@pytest.fixture
def good():
    return workbook("CustomsRegions", HEADER, [["Flanders", "EU", "Yes"]])


def _part(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def _refused(data: bytes, match: str, limits: Limits | None = None) -> None:
    with pytest.raises(HostileFile, match=match):
        check_xlsx(data, limits)


def test_f16_a_plain_workbook_passes(good):
    check_xlsx(good)


def test_f16_renamed_text_file_is_refused():
    _refused(b"Name;Territory\nFlanders;EU\n", "not an Excel workbook")


def test_f16_zip_that_is_not_a_spreadsheet_is_refused(good):
    types = _part(good, "[Content_Types].xml").replace(
        b"spreadsheetml.sheet.main+xml", b"wordprocessingml.document.main+xml"
    )
    _refused(rezip(good, replace={"[Content_Types].xml": types}), "not an Excel workbook")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    _refused(out.getvalue(), "no content types")


def test_f16_xlsm_with_macros_is_refused(good):
    _refused(rezip(good, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}), "macros")
    types = _part(good, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    _refused(rezip(good, replace={"[Content_Types].xml": types}), "macros")


def test_f16_zip_bomb_by_ratio_is_refused(good):
    _refused(rezip(good, add={"xl/media/zeros.bin": b"\0" * (5 * 1024 * 1024)}), "zip bomb")


def test_f16_zip_bomb_by_unpacked_size_is_refused(good):
    # each part compresses modestly, together they unpack over the limit
    import os

    noise = {f"xl/media/n{i}.bin": os.urandom(300_000) for i in range(4)}
    _refused(
        rezip(good, add=noise), "unpacks to more than 1 MB", Limits(max_unpacked_bytes=1024 * 1024)
    )


def test_f16_zip_bomb_lying_about_its_size_is_refused(good):
    """Headers can understate the unpacked size: the guard counts what it actually inflates."""
    big = b"<x>" + b"a" * (3 * 1024 * 1024) + b"</x>"
    data = bytearray(rezip(good, add={"xl/pad.xml": big}))
    # patch the size declared in the central directory entry of xl/pad.xml down to 100 bytes
    cd = bytes(data).rfind(b"PK\x01\x02", 0, bytes(data).rfind(b"xl/pad.xml"))
    data[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/pad.xml").file_size == 100
    _refused(
        bytes(data), "damaged|unpacks to more than 2 MB", Limits(max_unpacked_bytes=2 * 1024 * 1024)
    )


@pytest.mark.parametrize(
    "name", ["../evil.xml", "/etc/evil.xml", "xl/../../evil.xml", "C:/evil.xml", "xl\\..\\evil.xml"]
)
def test_f16_path_traversal_entry_names_are_refused(good, name):
    _refused(rezip(good, add={name: b"<x/>"}), "suspicious path")


def test_f16_billion_laughs_is_refused(good):
    _refused(rezip(good, add={"xl/sharedStrings.xml": BILLION_LAUGHS}), "entities")
    sheet = _part(good, SHEET)
    body = sheet.split(b"?>", 1)[1] if sheet.startswith(b"<?xml") else sheet
    laughing_sheet = BILLION_LAUGHS.split(b"<sst")[0] + body
    _refused(rezip(good, replace={SHEET: laughing_sheet}), "entities")


def test_f16_openpyxl_parses_with_defusedxml():
    import openpyxl
    from defusedxml import EntitiesForbidden
    from openpyxl.xml.functions import fromstring

    assert openpyxl.DEFUSEDXML is True
    with pytest.raises(EntitiesForbidden):
        fromstring(BILLION_LAUGHS)


def test_f16_too_many_rows_is_refused():
    data = workbook("CustomsRegions", HEADER, [[f"R{i}", "EU", "Yes"] for i in range(30)])
    _refused(data, "too many rows", Limits(max_rows=20))


def test_f16_too_many_rows_without_a_dimension_is_refused_while_streaming():
    data = workbook("CustomsRegions", HEADER, [[f"R{i}", "EU", "Yes"] for i in range(30)])
    sheet = _part(data, SHEET)
    import re

    sheet = re.sub(rb"<dimension [^>]*/>", b"", sheet)
    _refused(rezip(data, replace={SHEET: sheet}), "too many rows", Limits(max_rows=20))


def test_f16_too_many_columns_is_refused():
    data = workbook("CustomsRegions", HEADER + [f"C{i}" for i in range(50)], [["R", "EU", "Yes"]])
    _refused(data, "too many columns")


def test_f16_formula_is_refused(good):
    sheet = _part(good, SHEET).replace(
        b"</row></sheetData>", b'<c r="D2"><f>SUM(1,2)</f><v>3</v></c></row></sheetData>'
    )
    _refused(rezip(good, replace={SHEET: sheet}), "formulas")


def test_f16_cell_starting_with_equals_is_refused():
    data = workbook("CustomsRegions", HEADER, [["=cmd|' /C calc'!A0", "EU", "Yes"]])
    _refused(data, "formula")


def test_f16_huge_cell_is_refused():
    data = workbook("CustomsRegions", HEADER, [["x" * 3000, "EU", "Yes"]])
    _refused(data, "more than 2,000 characters")


def test_f16_encrypted_entries_are_refused(good):
    data = bytearray(good)
    # set the "encrypted" flag bit on the first central directory entry
    cd = bytes(data).find(b"PK\x01\x02")
    data[cd + 8] |= 0x1
    _refused(bytes(data), "encrypted")


def test_f16_limits_come_from_the_config():
    limits = Limits.from_config({"BULK_MAX_ROWS": "5", "BULK_MAX_CELL_CHARS": 10})
    assert (limits.max_rows, limits.max_cell_chars, limits.max_ratio) == (5, 10, 50)


def test_f16_huge_cell_spanning_several_chunks_is_refused():
    data = workbook("CustomsRegions", HEADER, [["ok", "EU", "Yes"], ["y" * 200_000, "EU", "Yes"]])
    _refused(data, "more than 2,000 characters", Limits(max_ratio=10_000))


def test_f16_prefixed_formula_elements_are_refused(good):
    sheet = (
        _part(good, SHEET)
        .replace(b"</row></sheetData>", b'<x:c r="D2"><x:f>1+1</x:f></x:c></row></sheetData>')
        .replace(
            b"<worksheet ",
            b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ',
        )
    )
    _refused(rezip(good, replace={SHEET: sheet}), "formulas")


def test_f16_broken_xml_is_refused(good):
    _refused(rezip(good, replace={SHEET: b"<worksheet><sheetData><row>"}), "broken XML")
