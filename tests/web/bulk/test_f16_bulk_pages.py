"""F-16 bulk creation through the pages: template round trips, cleaning, import, isolation."""

from __future__ import annotations

import io
import os

from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.models import Account, AuditEvent, Office, Region
from portal.models.bulk import BulkRow, BulkSession
from portal.models.jobs import Job, OutboxMessage
from tests.web.bulk.conftest import sheet_rows


def _count(session, model, *where):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_f16_region_template_round_trip(bulk_pages, session, account_of):
    pages = bulk_pages()
    template = pages.template("region")
    lists = sheet_rows(template, "ListValues")
    assert lists[0][:6] == ("Territories", "Regions", "Offices", "Roles", "Countries", "YesNo")
    territory = lists[1][0]
    assert territory.startswith("EU")
    sid = pages.upload_rows(
        "region", "CustomsRegions", [["Flanders", territory, "Yes"], ["Wallonia", territory, None]]
    )
    page = pages.import_and_wait(sid)
    assert page.status_code == 200
    assert b"2 customs regions created." in page.data
    be = account_of("be", "admin").customs_id
    names = set(session.scalars(select(Region.name).where(Region.customs_id == be)))
    assert {"Flanders", "Wallonia"} <= names
    assert (
        _count(session, BulkRow, BulkRow.bulk_session_id == sid, BulkRow.imported_id.is_(None)) == 0
    )
    job = session.scalar(select(Job).where(Job.kind == "bulk_region_import"))
    assert job.status == "done" and job.result["created"] == 2 and job.finished_at is not None
    assert _count(session, AuditEvent, AuditEvent.action == "region.created") == 2


def test_f16_office_template_round_trip(bulk_pages, session, account_of):
    pages = bulk_pages()
    template = pages.template("office")
    regions = [r[1] for r in sheet_rows(template, "ListValues")[1:] if r[1]]
    assert "Antwerp" in regions and "Brussels" in regions
    sid = pages.upload_rows(
        "office",
        "CustomsOffices",
        [
            [
                "Antwerp",
                "Zeebrugge Port",
                "BE-ZEE",
                "Kustlaan 1",
                "8380",
                "Brugge",
                "BE",
                "zeebrugge@customs.example",
                "+32 50 00 00 00",
                "24/7",
                51.3333,
                3.2,
                "No",
                "Yes",
                "No",
                "No",
                "Europe/Brussels",
                "Yes",
            ],
            [
                "Brussels",
                "Charleroi Airport",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "Yes",
                None,
                None,
                None,
            ],
        ],
    )
    page = pages.import_and_wait(sid)
    assert b"2 customs offices created." in page.data
    office = session.scalar(select(Office).where(Office.name == "Zeebrugge Port"))
    assert office.region.name == "Antwerp" and office.is_sea_port and not office.is_airport
    assert str(office.latitude) == "51.333300" and office.code == "BE-ZEE"
    charleroi = session.scalar(select(Office).where(Office.name == "Charleroi Airport"))
    assert charleroi.is_airport and charleroi.latitude is None and charleroi.active


def test_f16_account_template_round_trip_sends_invitations_through_the_outbox(
    app, bulk_pages, session, account_of
):
    pages = bulk_pages()
    template = pages.template("account")
    ws_rows = sheet_rows(template, "Accounts")
    assert ws_rows[0][:3] == ("Full name *", "Email *", "Role *")
    wb = load_workbook(io.BytesIO(template))
    validations = wb["Accounts"].data_validations.dataValidation
    role = next(dv for dv in validations if "C2" in str(dv.sqref))
    assert str(role.sqref) == "C2:C20001" and role.formula1.startswith("ListValues!")
    assert all(dv.prompt for dv in validations)
    sid = pages.upload_rows(
        "account",
        "Accounts",
        [
            ["Ann Officer", "Ann@Example.org", "Officer", "Antwerp Port", None, "Yes"],
            [
                "Bob Controller",
                "bob@example.org",
                "Customs Controller",
                "Brussels Airport",
                "Brussels",
                None,
            ],
            ["Carl Admin", "carl@example.org", "Admin", None, None, None],
            ["Dora Sleeping", "dora@example.org", "Regional manager", "Antwerp Port", None, "No"],
        ],
    )
    page = pages.import_and_wait(sid)
    assert b"4 accounts created." in page.data
    ann = session.scalar(select(Account).where(Account.email == "ann@example.org"))
    assert ann.role == "officer" and ann.office.name == "Antwerp Port"
    assert ann.region.name == "Antwerp" and ann.password_hash is None
    carl = session.scalar(select(Account).where(Account.email == "carl@example.org"))
    assert carl.role == "admin" and carl.region_id is None
    # three active accounts, three invitations; the inactive one gets none
    from jobs.testing import run_queued_jobs

    run_queued_jobs(app)
    sent = session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.status == "sent"))
    assert sorted(sent) == ["ann@example.org", "bob@example.org", "carl@example.org"]
    mails = os.listdir(app.config["MAIL_OUTBOX_DIR"])
    assert len(mails) == 3
    body = b""
    for m in mails:
        with open(os.path.join(app.config["MAIL_OUTBOX_DIR"], m), "rb") as fh:
            body += fh.read()
    assert b"http://customs-be.eata.test/set-password/" in body


def test_f16_rows_with_errors_come_first_with_the_error_beside_the_cell(bulk_pages):
    pages = bulk_pages()
    sid = pages.upload_rows(
        "region",
        "CustomsRegions",
        [["Good One", "EU", "Yes"], ["Antwerp", "EU", "Yes"], ["Good Two", "EU", "Perhaps"]],
    )
    html = pages.client.get(f"/bulk/sessions/{sid}").data.decode()
    assert "3</strong> rows, <strong>2</strong> with errors" in html
    first_error = html.index("This name already exists.")
    assert first_error < html.index('value="Good One"')
    assert html.index("Active must be Yes or No.") < html.index('value="Good One"')
    assert 'aria-invalid="true"' in html


def test_f16_edit_and_save_fixes_rows_and_survives_reload(bulk_pages, session):
    pages = bulk_pages()
    sid = pages.upload_rows(
        "region",
        "CustomsRegions",
        [["Antwerp", "EU", "Yes"], ["Limburg", "EU", "Yes"], ["Junk", "EU", ""]],
    )
    rows = {
        r.data["name"]: r
        for r in session.scalars(select(BulkRow).where(BulkRow.bulk_session_id == sid))
    }
    bad, junk = rows["Antwerp"], rows["Junk"]
    # first save: still a duplicate of Limburg in the file
    r = pages.client.post(
        f"/bulk/sessions/{sid}",
        data={
            f"r-{bad.id}-name": "Limburg",
            f"r-{bad.id}-territory": "EU",
            f"r-{bad.id}-active": "Yes",
            "page": "1",
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert "appears more than once in the file" in r.data.decode()
    assert "<html" not in r.data.decode()  # the htmx answer is the fragment only
    # second save: fixed, and the junk row removed
    r = pages.client.post(
        f"/bulk/sessions/{sid}",
        data={
            f"r-{bad.id}-name": "Kempen",
            f"r-{bad.id}-territory": "EU",
            f"remove-{junk.id}": "on",
        },
    )
    assert r.status_code == 303
    html = pages.client.get(f"/bulk/sessions/{sid}").data.decode()
    assert "2</strong> rows, <strong>0</strong> with errors" in html
    assert 'value="Kempen"' in html and 'value="Junk"' not in html
    bs = session.get(BulkSession, sid)
    session.refresh(bs)
    assert (bs.row_count, bs.error_count) == (2, 0)
    page = pages.import_and_wait(sid)
    assert b"2 customs regions created." in page.data
    assert session.scalar(select(Region).where(Region.name == "Kempen")) is not None


def test_f16_import_skips_rows_with_errors_and_reports_them(bulk_pages, session):
    pages = bulk_pages()
    sid = pages.upload_rows(
        "region", "CustomsRegions", [["Good", "EU", "Yes"], ["Antwerp", "EU", "Yes"]]
    )
    page = pages.import_and_wait(sid)
    assert b"1 customs regions created, 1 rows with errors not imported." in page.data
    assert b"Row 3: This name already exists." in page.data
    # the rest stays in the session, and importing again creates nothing twice
    page = pages.import_and_wait(sid)
    assert b"0 customs regions created, 1 rows with errors not imported." in page.data
    assert _count(session, Region, Region.name == "Good") == 1


def test_f16_reupload_replaces_the_session(bulk_pages, session):
    pages = bulk_pages()
    first = pages.upload_rows(
        "region", "CustomsRegions", [["One", "EU", "Yes"], ["Two", "EU", "Yes"]]
    )
    second = pages.upload_rows("region", "CustomsRegions", [["Three", "EU", "Yes"]])
    assert _count(session, BulkSession) == 1
    assert _count(session, BulkRow, BulkRow.bulk_session_id == first) == (
        1 if first == second else 0
    )
    names = session.scalars(select(BulkRow.data).where(BulkRow.bulk_session_id == second))
    assert [d["name"] for d in names] == ["Three"]
    html = pages.client.get(f"/bulk/sessions/{second}").data.decode()
    assert 'value="Three"' in html and 'value="One"' not in html
    # a session of another kind is kept: one per admin and kind
    other = pages.upload_rows(
        "account", "Accounts", [["X", "x@example.org", "Officer", "Antwerp Port", None, None]]
    )
    assert other != second and _count(session, BulkSession) == 2


def test_f16_upload_of_the_wrong_template_is_refused(bulk_pages, session):
    pages = bulk_pages()
    from tests.unit.bulk.xlsx_builders import fill_template

    data = fill_template(pages.template("region"), "CustomsRegions", [["R", "EU", "Yes"]])
    r = pages.upload("account", data)
    assert r.status_code == 422
    assert "This file has no sheet named “Accounts”" in r.data.decode()
    assert _count(session, BulkSession) == 0


def test_f16_hostile_file_is_refused_with_a_message_and_nothing_stored(bulk_pages, session):
    pages = bulk_pages()
    r = pages.upload("region", b"Name,Territory\nEvil,EU\n", filename="regions.xlsx")
    assert r.status_code == 422
    assert "This file is not an Excel workbook (.xlsx)" in r.data.decode()
    assert _count(session, BulkSession) == 0 and _count(session, BulkRow) == 0
    assert _count(session, AuditEvent, AuditEvent.action == "bulk.file_refused") == 1


def test_f16_upload_without_a_file_shows_the_error_beside_the_field(bulk_pages):
    r = bulk_pages().client.post("/bulk/region/upload", data={})
    assert r.status_code == 422
    assert "Choose the file to upload." in r.data.decode()


def test_f16_another_administrations_session_is_404(bulk_pages, session):
    be = bulk_pages("be")
    sid = be.upload_rows("region", "CustomsRegions", [["Secret", "EU", "Yes"]])
    fr = bulk_pages("fr")
    assert fr.client.get(f"/bulk/sessions/{sid}").status_code == 404
    assert fr.client.get(f"/bulk/sessions/{sid}/job").status_code == 404
    assert fr.client.post(f"/bulk/sessions/{sid}", data={"page": "1"}).status_code == 404
    assert fr.client.post(f"/bulk/sessions/{sid}/import").status_code == 404
    assert "Secret" not in fr.client.get("/bulk/?kind=region").data.decode()
    assert _count(session, Region, Region.name == "Secret") == 0


def test_f16_another_admins_session_is_404(bulk_pages, session, account_of):
    mine = bulk_pages("be")
    sid = mine.upload_rows("region", "CustomsRegions", [["Mine", "EU", "Yes"]])
    admin = account_of("be", "admin")
    other = Account(
        customs_id=admin.customs_id,
        email="second-admin@customs-be.demo",
        full_name="Second Admin",
        role="admin",
        password_hash="x",
    )
    session.add(other)
    session.commit()
    assert bulk_pages("be", account=other).client.get(f"/bulk/sessions/{sid}").status_code == 404


def test_f16_officers_and_regional_managers_get_403(bulk_pages, session):
    for role in ("officer", "controller", "regional_manager"):
        pages = bulk_pages("be", role)
        assert pages.client.get("/bulk/").status_code == 403
        assert pages.client.get("/bulk/account/template.xlsx").status_code == 403
        assert pages.upload("region", b"PK").status_code == 403
    assert _count(session, AuditEvent, AuditEvent.action == "permission.denied") == 9


def test_f16_anonymous_is_sent_to_login(client_for, demo):
    r = client_for("customs", "be").get("/bulk/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_f16_navigation_shows_bulk_creation_to_admins_only(bulk_pages):
    assert 'href="/bulk/"' in bulk_pages("be", "admin").client.get("/").data.decode()
    assert 'href="/bulk/"' not in bulk_pages("be", "officer").client.get("/").data.decode()


def test_f16_progress_component_stops_polling_at_the_final_state(bulk_pages):
    pages = bulk_pages()
    sid = pages.upload_rows("region", "CustomsRegions", [["Polder", "EU", "Yes"]])
    r = pages.client.post(f"/bulk/sessions/{sid}/import", headers={"HX-Request": "true"})
    assert r.status_code == 200
    from jobs.testing import run_queued_jobs

    if run_queued_jobs(pages.app):
        assert 'hx-trigger="every 1s"' in r.data.decode()  # queued: the component polls
    final = pages.client.get(f"/bulk/sessions/{sid}/job?poll=1", headers={"HX-Request": "true"})
    assert "hx-trigger" not in final.data.decode()
    assert final.headers.get("HX-Refresh") == "true"
    assert "1 customs regions created." in final.data.decode()


def test_f16_double_import_starts_one_job(bulk_pages, session):
    pages = bulk_pages()
    sid = pages.upload_rows("region", "CustomsRegions", [["Once", "EU", "Yes"]])
    bs = session.get(BulkSession, sid)
    bs.status = "importing"  # as if the first click's job were still running
    session.commit()
    r = pages.client.post(f"/bulk/sessions/{sid}/import")
    assert r.status_code == 409
    assert "already running" in r.data.decode()
    assert _count(session, Job) == 0


def test_f16_result_report_lists_every_row_and_is_stored_under_storage_dir(
    app, bulk_pages, session
):
    pages = bulk_pages()
    sid = pages.upload_rows(
        "region", "CustomsRegions", [["Fresh", "EU", "Yes"], ["Antwerp", "EU", "Yes"]]
    )
    page = pages.import_and_wait(sid)
    assert b"Download the result report" in page.data
    job = session.scalar(select(Job))
    assert os.path.exists(os.path.join(app.config["STORAGE_DIR"], job.result_path))
    r = pages.client.get(f"/bulk/sessions/{sid}/report.xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    data = r.data
    r.close()
    rows = sheet_rows(data, "Report")
    assert rows[0][:4] == ("Row", "Result", "Created id", "Errors")
    assert rows[1][:2] == (2, "created") and rows[2][:2] == (3, "not imported")
    assert "already exists" in rows[2][3]
    fr = bulk_pages("fr")
    assert fr.client.get(f"/bulk/sessions/{sid}/report.xlsx").status_code == 404


def test_f16_pages_of_rows_are_fragments_for_htmx(bulk_pages):
    pages = bulk_pages()
    sid = pages.upload_rows(
        "region", "CustomsRegions", [[f"R{i:03d}", "EU", "Yes"] for i in range(60)]
    )
    full = pages.client.get(f"/bulk/sessions/{sid}?page=2").data.decode()
    assert "<html" in full and 'value="R050"' in full and 'value="R000"' not in full
    fragment = pages.client.get(f"/bulk/sessions/{sid}?page=2", headers={"HX-Request": "true"})
    assert "<html" not in fragment.data.decode() and 'id="cleaning"' in fragment.data.decode()


def test_f16_save_cannot_touch_rows_of_another_session(bulk_pages, session):
    be = bulk_pages("be")
    theirs = be.upload_rows("region", "CustomsRegions", [["Theirs", "EU", "Yes"]])
    other_row = session.scalar(select(BulkRow).where(BulkRow.bulk_session_id == theirs))
    fr = bulk_pages("fr")
    mine = fr.upload_rows("region", "CustomsRegions", [["Mine", "EU", "Yes"]])
    r = fr.client.post(f"/bulk/sessions/{mine}", data={f"r-{other_row.id}-name": "Hijacked"})
    assert r.status_code == 303
    session.expire_all()
    assert session.get(BulkRow, other_row.id).data["name"] == "Theirs"


def test_f16_posts_without_the_csrf_token_are_refused(bulk_pages, session):
    pages = bulk_pages()
    sid = pages.upload_rows("region", "CustomsRegions", [["Guarded", "EU", "Yes"]])
    assert pages.client.post(f"/bulk/sessions/{sid}/import", csrf=False).status_code == 400
    assert (
        pages.client.post(f"/bulk/sessions/{sid}", data={"page": "1"}, csrf=False).status_code
        == 400
    )
    assert _count(session, Job) == 0
