"""F-16: a cell edited in the cleaning session is checked by the same rules as the upload; an
upload over the size limit gets the form with its message; the counts follow each save."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models.bulk import BulkRow
from tests.unit.bulk.xlsx_builders import fill_template


def _rows(session, sid: int) -> dict[str, BulkRow]:
    session.expire_all()
    return {
        r.data["name"]: r
        for r in session.scalars(select(BulkRow).where(BulkRow.bulk_session_id == sid))
    }


@pytest.mark.parametrize("typed", ["=1+1", '  =HYPERLINK("http://evil")', "\t=cmd|x", "\r=A1"])
def test_f16_a_formula_typed_in_the_cleaning_session_is_refused_like_at_the_upload(
    bulk_pages, session, typed
):
    pages = bulk_pages()
    # the upload refuses such a cell …
    r = pages.upload(
        "region",
        fill_template(
            pages.template("region"),
            "CustomsRegions",
            [["Limburg", "EU", "Yes"], [typed, "EU", "Yes"]],
        ),
    )
    assert r.status_code == 422
    assert "formula" in r.data.decode()
    # … and so does the cleaning session, in the same words, changing nothing
    sid = pages.upload_rows("region", "CustomsRegions", [["Limburg", "EU", "Yes"]])
    row = _rows(session, sid)["Limburg"]
    r = pages.client.post(
        f"/bulk/sessions/{sid}",
        data={f"r-{row.id}-name": typed, f"r-{row.id}-territory": "EU", "page": "1"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422
    assert "A cell starts with &#34;=&#34; (a formula)" in r.data.decode()
    assert list(_rows(session, sid)) == ["Limburg"]


def test_f16_an_upload_over_the_request_limit_gets_the_form_and_its_message(bulk_pages, app):
    pages = bulk_pages()
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        r = pages.upload("region", b"PK\x03\x04" + b"x" * 10_000)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    assert r.status_code == 413
    html = r.data.decode()
    assert "<input" in html and 'name="file"' in html  # the upload form again
    assert "This file is too large" in html


def test_f16_the_import_summary_counts_follow_a_save(bulk_pages, session):
    pages = bulk_pages()
    sid = pages.upload_rows(
        "region",
        "CustomsRegions",
        [["Antwerp", "EU", "Yes"], ["Brussels", "EU", "Yes"], ["Limburg", "EU", "Yes"]],
    )
    page = pages.client.get(f"/bulk/sessions/{sid}").data.decode()
    assert "Rows to import: 3; 2 with errors will not be imported" in page
    rows = _rows(session, sid)
    r = pages.client.post(
        f"/bulk/sessions/{sid}",
        data={
            f"r-{rows['Antwerp'].id}-name": "Kempen",
            f"r-{rows['Brussels'].id}-name": "Hageland",
            "page": "1",
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    html = r.data.decode()
    assert "3</strong> rows, <strong>0</strong> with errors" in html
    # the import component is swapped too (out of band): no stale "2 with errors"
    assert 'id="bulk-job"' in html and 'hx-swap-oob="true"' in html
    assert "Rows to import: 3." in html and "with errors will not be imported" not in html
