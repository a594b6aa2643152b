"""Uploading a filled template (F-16): the hostile-file guard, a streaming read-only parse
where every cell goes through `rules.check_cell`, every row validated, all stored as the admin's
cleaning session of that kind (replacing the previous one)."""

from __future__ import annotations

import datetime as dt
import io
from typing import cast

from flask_babel import gettext as _
from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError
from portal.domain.bulk.columns import spec_of
from portal.domain.bulk.rules import KindSpec, check_cell, load_context, validate_all
from portal.domain.xlsx_guard import HostileFile, Limits, check_xlsx
from portal.i18n import shipped_languages, with_locale
from portal.models import Account, CustomsAdministration
from portal.models.bulk import BulkRow, BulkSession


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _header_key(text: str) -> str:
    return text.strip().rstrip("*").strip().lower()


def _column_positions(header: tuple, spec: KindSpec) -> dict[int, str]:
    """Column index → column key, by the header texts; every required column present."""
    by_header: dict[str, str] = {}
    for lang in shipped_languages():  # a template downloaded in any language is read back
        with with_locale(lang):
            by_header.update({str(c.header).lower(): c.key for c in spec.columns})
    positions: dict[int, str] = {}
    for i, h in enumerate(header):
        key = by_header.get(_header_key(_text(h)))
        if key:
            positions[i] = key
    missing = [c.header for c in spec.columns if c.required and c.key not in positions.values()]
    if missing:
        raise DomainError(
            _(
                "The sheet has no column %(columns)s. Download the template again.",
                columns=", ".join(f"“{m}”" for m in missing),
            ),
            field="file",
        )
    return positions


def _read_row(number: int, row: tuple, positions: dict[int, str], limits: Limits) -> dict:
    """{column key: text} of sheet row `number`, within the row, column and cell limits."""
    if number - 1 > limits.max_rows:
        raise HostileFile(
            f"This file has too many rows: at most {limits.max_rows:,} "
            "rows can be uploaded at once."
        )
    if len(row) > limits.max_columns:
        raise HostileFile(
            f"This file has too many columns: at most {limits.max_columns} are allowed."
        )
    record = {key: "" for key in positions.values()}
    for i, key in positions.items():
        if i < len(row):
            try:
                text = check_cell(_text(row[i]), limits.max_cell_chars)
            except DomainError as exc:  # the cleaning screen refuses it alike
                raise HostileFile(
                    "This file is refused: " + exc.message[0].lower() + exc.message[1:]
                ) from None
            record[key] = text
    return record


def parse_workbook(data: bytes, spec: KindSpec, limits: Limits) -> list[tuple[int, dict]]:
    """(sheet row number, {column key: text}) of every non-empty row; read-only, streaming."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 — any parse failure is a refused file
        raise HostileFile(_("This file is not a valid Excel workbook (.xlsx).")) from exc
    try:
        if spec.sheet not in wb.sheetnames:
            raise DomainError(
                _(
                    "This file has no sheet named “%(sheet)s”. Use the %(what)s template.",
                    sheet=spec.sheet,
                    what=str(spec.title).lower(),
                ),
                field="file",
            )
        ws = wb[spec.sheet]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise DomainError(_("The sheet is empty."), field="file")
        positions = _column_positions(header, spec)
        out: list[tuple[int, dict]] = []
        for number, row in enumerate(rows, start=2):
            record = _read_row(number, row, positions, limits)
            if any(record.values()):
                out.append((number, record))
    finally:
        wb.close()
    if not out:
        raise DomainError("The sheet has no rows to import.", field="file")
    return out


def current_session(
    session: Session, customs_id: int, account_id: int, kind: str
) -> BulkSession | None:
    return session.scalar(
        select(BulkSession).where(
            BulkSession.customs_id == customs_id,
            BulkSession.account_id == account_id,
            BulkSession.kind == kind,
        )
    )


def upload(
    session: Session,
    customs: CustomsAdministration,
    account: Account,
    kind: str,
    filename: str,
    data: bytes,
    limits: Limits | None = None,
) -> BulkSession:
    """Check, parse and validate an uploaded file into a new cleaning session, replacing the
    admin's previous one of this kind. A refused file stores nothing."""
    limits = limits or Limits()
    spec = spec_of(kind)
    check_xlsx(data, limits)
    parsed = parse_workbook(data, spec, limits)
    old = current_session(session, customs.id, account.id, kind)
    if old is not None:
        if old.status == "importing":
            raise Conflict("An import of this kind is running. Wait until it ends, then upload.")
        session.execute(delete(BulkRow).where(BulkRow.bulk_session_id == old.id))
        session.delete(old)
        session.flush()
    ctx = load_context(session, customs)
    results = validate_all(ctx, spec, [d for _, d in parsed])
    bs = BulkSession(
        customs_id=customs.id,
        account_id=account.id,
        kind=kind,
        filename=(filename or "upload.xlsx")[:255],
        status="cleaning",
        row_count=len(parsed),
        error_count=sum(1 for e, _ in results if e),
        created_at=now_utc(),
        updated_at=now_utc(),
    )
    session.add(bs)
    session.flush()
    session.execute(
        # Core: one executemany, no ORM objects (a declarative __table__ is typed FromClause)
        cast(Table, BulkRow.__table__).insert(),
        [
            {
                "bulk_session_id": bs.id,
                "row_number": number,
                "data": data_,
                "errors": errs or None,
                "has_errors": bool(errs),
                "imported_id": None,
            }
            for (number, data_), (errs, _) in zip(parsed, results, strict=True)
        ],
    )
    return bs
