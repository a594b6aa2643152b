"""The templates to fill (F-16): the kind's sheet with drop-downs and input hints, and a
protected ListValues sheet of the administration's current reference values."""

from __future__ import annotations

import io

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain.bulk.columns import spec_of
from portal.domain.bulk.rules import YES_NO, _territory_label
from portal.domain.permissions import ROLE_LABELS, ROLES
from portal.models import Country, CustomsAdministration, CustomsTerritory, Office, Region


def list_values(session: Session, customs: CustomsAdministration) -> dict[str, list[str]]:
    cid = customs.id
    territory = session.get_one(CustomsTerritory, customs.territory_id)
    return {
        "Territories": [_territory_label(territory)],
        "Regions": list(
            session.scalars(
                select(Region.name).where(Region.customs_id == cid).order_by(Region.name)
            )
        ),
        "Offices": list(
            session.scalars(
                select(Office.name).where(Office.customs_id == cid).order_by(Office.name)
            )
        ),
        "Roles": [ROLE_LABELS[r] for r in ROLES],
        "Countries": list(session.scalars(select(Country.code).order_by(Country.code))),
        "YesNo": list(YES_NO),
    }


def build_template(
    session: Session, customs: CustomsAdministration, kind: str, max_rows: int
) -> bytes:
    """The .xlsx to fill: the kind's sheet with drop-downs and input hints on every fillable
    row up to `max_rows`, and a protected ListValues sheet of the current reference values."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = spec_of(kind)
    values = list_values(session, customs)
    wb = Workbook()
    ws = wb.active
    ws.title = spec.sheet
    lv = wb.create_sheet("ListValues")
    list_ranges = {}
    for idx, (name, items) in enumerate(values.items(), start=1):
        letter = get_column_letter(idx)
        lv.cell(row=1, column=idx, value=name).font = Font(bold=True)
        for r, item in enumerate(items, start=2):
            # names typed by users: text, never a formula (openpyxl reads "=…" as one)
            lv.cell(row=r, column=idx, value=item).data_type = "s"
        list_ranges[name] = f"ListValues!${letter}$2:${letter}${max(len(items), 1) + 1}"
        lv.column_dimensions[letter].width = 28
    lv.protection.sheet = True
    last = max_rows + 1
    for idx, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(idx)
        cell = ws.cell(row=1, column=idx, value=str(col.header) + (" *" if col.required else ""))
        cell.font = Font(bold=True)
        ws.column_dimensions[letter].width = col.width
        hint = str(col.hint) or (_("Required.") if col.required else _("Optional."))
        if col.list_name:
            dv = DataValidation(
                type="list", formula1=list_ranges[col.list_name], allow_blank=not col.required
            )
            dv.error = _(
                "Choose a value from the list (%(list)s in ListValues).", list=col.list_name
            )
            dv.errorTitle = str(col.header)
            dv.showErrorMessage = col.list_name in ("YesNo", "Roles", "Territories")
        elif col.decimal_range:
            low, high = col.decimal_range
            dv = DataValidation(
                type="decimal",
                operator="between",
                formula1=str(low),
                formula2=str(high),
                allow_blank=True,
            )
            dv.error = _(
                "%(column)s must be between %(low)s and %(high)s.",
                column=col.header,
                low=low,
                high=high,
            )
            dv.errorTitle = str(col.header)
            dv.showErrorMessage = True
        else:
            dv = DataValidation(
                type="textLength",
                operator="lessThanOrEqual",
                formula1=str(col.max_len),
                allow_blank=not col.required,
            )
            dv.error = _("At most %(count)s characters.", count=col.max_len)
            dv.showErrorMessage = True
        dv.promptTitle = str(col.header)[:32]
        dv.prompt = hint[:255]
        dv.showInputMessage = True
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
