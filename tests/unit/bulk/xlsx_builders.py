"""Builders of workbooks for the bulk creation tests (good and hostile), shared by tests/unit/bulk
and tests/web/bulk."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook, load_workbook


def fill_template(template: bytes, sheet: str, rows: list[list]) -> bytes:
    """The downloaded template with `rows` typed in under the header, as a user would."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb[sheet]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def workbook(sheet: str, header: list[str], rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(
    data: bytes,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
    compression=zipfile.ZIP_DEFLATED,
) -> bytes:
    """A copy of the xlsx `data` with some parts replaced or added (hostile variants)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as dst:
        for info in src.infolist():
            body = (replace or {}).get(info.filename, src.read(info.filename))
            dst.writestr(info.filename, body)
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()
