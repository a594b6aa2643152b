"""F-16: "Save changes" reads row ids from the posted field names and ignores those that are not
ids: beyond the database's integer range, or a digit int() does not read ("²"); nothing
changes and the query never sees them."""

from __future__ import annotations

from sqlalchemy import select

from portal.models.bulk import BulkRow

HUGE = "99999999999999999999999"


def test_f16_save_ignores_row_ids_out_of_range(bulk_pages, session):
    pages = bulk_pages()
    sid = pages.upload_rows("region", "CustomsRegions", [["Kept", "EU", "Yes"]])
    r = pages.client.post(
        f"/bulk/sessions/{sid}",
        data={
            f"r-{HUGE}-name": "x",
            f"remove-{HUGE}": "1",
            "r-\u00b2-name": "x",
            "remove-\u00b2": "1",
            "page": HUGE,
        },
    )
    assert r.status_code == 303
    assert (
        session.scalar(select(BulkRow.data).where(BulkRow.bulk_session_id == sid))["name"] == "Kept"
    )
