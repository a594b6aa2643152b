"""F-16: names typed by other users (a regional manager's office, an admin's region) go into the
template's ListValues sheet neutralised: a name starting with "=" stays text, never a formula
in the workbook an admin opens (no spreadsheet formula injection)."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from portal.models import Office, Region


def test_f16_template_list_values_are_text_never_formulas(bulk_pages, login_as, session):
    manager = login_as("be", "regional_manager")
    region_id = manager.account.region_id
    planted = '=HYPERLINK("http://evil.example","Open")'
    r = manager.post(
        "/admin/offices/new", data={"region_id": region_id, "name": planted, "active": "y"}
    )
    assert r.status_code == 422  # the form refuses it (the same rule as bulk cells) …
    region = session.scalar(select(Region).where(Region.id == region_id))
    # … and a name already in the database (stored another way) still never becomes a formula
    session.add(Office(customs_id=region.customs_id, region_id=region_id, name=planted))
    session.commit()

    data = bulk_pages("be").template("account")
    wb = load_workbook(io.BytesIO(data))
    cells = [c for row in wb["ListValues"].iter_rows() for c in row if c.value is not None]
    planted = [c for c in cells if "HYPERLINK" in str(c.value)]
    assert planted, "the office name is offered in the list"
    assert all(c.data_type == "s" for c in planted)
    assert not any(c.data_type == "f" for c in cells)
