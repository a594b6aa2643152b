"""F-16: the hostile-file guard applies its sheet rules (formulas, "=" values, rows, columns) to
every part openpyxl would open as a sheet, i.e. whatever part the workbook's relationships name,
in whatever encoding the XML declares: a renamed or UTF-16 sheet carrying a formula or "=cmd"
values is refused."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from portal.domain.bulk import SPECS, parse_workbook
from portal.domain.xlsx_guard import HostileFile, Limits, check_xlsx
from tests.unit.bulk.xlsx_builders import workbook

SHEET = "xl/worksheets/sheet1.xml"
FORMULA_CELL = b'<c r="A2" t="str"><f>HYPERLINK("http://evil.example","x")</f><v>=cmd|x</v></c>'


def _good() -> bytes:
    return workbook("CustomsRegions", ["Name", "Territory", "Active"], [["Flanders", "EU", "Yes"]])


def _with_sheet(new_name: str, transform) -> bytes:
    """The workbook with its sheet moved to `new_name` (relationships and content types
    follow, so openpyxl still opens it) and its XML changed by `transform`."""
    src = zipfile.ZipFile(io.BytesIO(_good()))
    out = io.BytesIO()
    target = new_name.split("xl/", 1)[1].encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            if name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                body = body.replace(b"worksheets/sheet1.xml", target)
            if name == SHEET:
                body, name = transform(body), new_name
            dst.writestr(name, body)
    return out.getvalue()


def _a2(data: bytes):
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return list(wb["CustomsRegions"].iter_rows(values_only=True))[1][0]
    finally:
        wb.close()


def _formula(body: bytes) -> bytes:
    start = body.index(b'<c r="A2"')
    end = body.index(b"</c>", start) + len(b"</c>")
    return body[:start] + FORMULA_CELL + body[end:]


def _utf16(body: bytes) -> bytes:
    text = _formula(body).decode()
    if text.startswith("<?xml"):
        text = text.split("?>", 1)[1]
    return ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16")


@pytest.mark.parametrize(
    "name",
    [
        "xl/worksheets/Sheet1.XML",
        "xl/Worksheets/sheet1.xml",
        "xl/other.xml",
        "xl/worksheets/sheet1.bin",
    ],
)
def test_f16_formula_in_a_renamed_sheet_is_refused(name):
    data = _with_sheet(name, _formula)
    assert _a2(data) == "=cmd|x"  # openpyxl opens it
    with pytest.raises(HostileFile):
        check_xlsx(data)


@pytest.mark.parametrize("name", [SHEET, "xl/worksheets/sheet1.bin"])
def test_f16_sheet_in_utf16_is_refused(name):
    data = _with_sheet(name, _utf16)
    assert _a2(data) == "=cmd|x"  # openpyxl opens it
    with pytest.raises(HostileFile):
        check_xlsx(data)


def test_f16_workbook_with_a_binary_picture_still_passes():
    src = zipfile.ZipFile(io.BytesIO(_good()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        dst.writestr("xl/media/image1.emf", b"\x01\x00\x00\x00" + bytes(range(256)) * 4)
        dst.writestr("xl/media/image2.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    check_xlsx(out.getvalue())


def test_f16_value_starting_with_equals_after_spaces_is_refused():
    data = workbook(
        "CustomsRegions", ["Name", "Territory", "Active"], [["  =cmd|' /C calc'!A0", "EU", "Yes"]]
    )
    with pytest.raises(HostileFile, match="formula"):
        check_xlsx(data)
        parse_workbook(data, SPECS["region"], Limits())
