"""Accounts (F-14): create with invitation, edit, disable/enable, delete, reset, force change,
list with search and filters, export; roles and regions per F-13 / R-16; refusals per R-12."""

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.db import now_utc
from portal.models import Account, AuditEvent, CustomsAdministration, Office, Region
from portal.models.identity import AccountToken, UserSession
from tests.web.admin.conftest import body_of, field_error, outbox


def account_form(region=None, office=None, **overrides):
    data = {
        "full_name": "Ana Peeters",
        "email": "ana.peeters@customs-be.demo",
        "role": "officer",
        "region_id": str(region.id) if region else "",
        "office_id": str(office.id) if office else "",
        "active": "y",
    }
    data.update(overrides)
    return data


def test_f14_f11_create_officer_sends_the_invitation(app, login_as, find, demo):
    be = demo.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))
    be.invitation_days = 3
    demo.commit()
    c = login_as("be", "admin")
    antwerp, port = find(Region, "be", "Antwerp"), find(Office, "be", "Antwerp Port")
    r = c.post(
        "/admin/accounts/new", data=account_form(antwerp, port, email="Ana.Peeters@Customs-BE.demo")
    )
    assert r.status_code == 303
    assert "an invitation was sent to ana.peeters@customs-be.demo" in c.get(
        r.headers["Location"]
    ).get_data(as_text=True)
    account = find(Account, "be", "ana.peeters@customs-be.demo")
    assert (account.role, account.region_id, account.office_id, account.active) == (
        "officer",
        antwerp.id,
        port.id,
        True,
    )
    assert account.password_hash is None
    [mail] = outbox(app)
    assert mail["To"] == "ana.peeters@customs-be.demo"
    body = body_of(mail)
    assert "http://customs-be.eata.test/set-password/" in body and "within 3 days" in body
    token = demo.scalar(select(AccountToken).where(AccountToken.account_id == account.id))
    assert token.purpose == "invite"
    assert dt.timedelta(days=2, hours=23) < token.expires_at - now_utc() <= dt.timedelta(days=3)
    event = demo.scalar(select(AuditEvent).where(AuditEvent.action == "account.create"))
    assert event.object_id == str(account.id) and event.data["after"]["role"] == "officer"


def test_f14_admin_creates_an_admin_without_region(login_as, find):
    c = login_as("be", "admin")
    r = c.post("/admin/accounts/new", data=account_form(role="admin", email="boss@customs-be.demo"))
    assert r.status_code == 303
    boss = find(Account, "be", "boss@customs-be.demo")
    assert boss.role == "admin" and boss.region_id is None


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"full_name": ""}, "full_name", "Enter the full name."),
        ({"email": ""}, "email", "Enter an email address."),
        ({"email": "ana@"}, "email", "Enter a valid email address, like name@example.com."),
        (
            {"email": "OFFICER@customs-be.demo"},
            "email",
            "Another account already uses this email address.",
        ),
        ({"role": ""}, "role", "Choose a role."),
        ({"role": "superuser"}, "role", "Choose a role."),
        ({"region_id": ""}, "region_id", "Choose a region."),
        ({"region_id": "abc"}, "region_id", "Choose a region from the list."),
        ({"office_id": "BRUSSELS"}, "office_id", "Choose an office of the region “Antwerp”."),
    ],
)
def test_f14_r16_r12_account_validation_error_next_to_field_changes_nothing(
    app, login_as, find, count, overrides, field, message
):
    c = login_as("be", "admin")
    antwerp, port = find(Region, "be", "Antwerp"), find(Office, "be", "Antwerp Port")
    if overrides.get("office_id") == "BRUSSELS":
        overrides["office_id"] = str(find(Office, "be", "Brussels Airport").id)
    r = c.post("/admin/accounts/new", data=account_form(antwerp, port, **overrides))
    assert r.status_code == 422
    error = field_error(r, field)
    assert error is not None and message in error
    assert count(Account, "be") == 4
    assert outbox(app) == []


def test_f14_edit_role_office_region_with_audit(login_as, find, demo):
    c = login_as("be", "admin")
    officer = find(Account, "be", "officer@customs-be.demo")
    brussels, airport = find(Region, "be", "Brussels"), find(Office, "be", "Brussels Airport")
    page = c.get(f"/admin/accounts/{officer.id}").get_data(as_text=True)
    assert 'value="officer@customs-be.demo"' in page and "Force password change" in page
    r = c.post(
        f"/admin/accounts/{officer.id}",
        data=account_form(
            brussels, airport, full_name=officer.full_name, email=officer.email, role="controller"
        ),
    )
    assert r.status_code == 303
    officer = find(Account, "be", "officer@customs-be.demo")
    assert (officer.role, officer.region_id, officer.office_id) == (
        "controller",
        brussels.id,
        airport.id,
    )
    event = demo.scalar(select(AuditEvent).where(AuditEvent.action == "account.update"))
    assert event.data["before"]["role"] == "officer" and event.data["after"]["role"] == "controller"
    assert event.data["after"]["office_id"] == airport.id
    assert "full_name" not in event.data["after"]


def test_f14_r16_edit_refuses_an_office_outside_the_region(login_as, find):
    c = login_as("be", "admin")
    officer = find(Account, "be", "officer@customs-be.demo")
    antwerp, airport = find(Region, "be", "Antwerp"), find(Office, "be", "Brussels Airport")
    r = c.post(
        f"/admin/accounts/{officer.id}",
        data=account_form(antwerp, airport, full_name="Renamed", email=officer.email),
    )
    assert r.status_code == 422
    assert field_error(r, "office_id") == "Choose an office of the region “Antwerp”."
    officer = find(Account, "be", "officer@customs-be.demo")
    assert officer.full_name == "Officer BE" and officer.office_id != airport.id


def test_f14_cannot_change_own_role(login_as, find):
    c = login_as("be", "admin")
    me = find(Account, "be", "admin@customs-be.demo")
    r = c.post(
        f"/admin/accounts/{me.id}",
        data=account_form(full_name=me.full_name, email=me.email, role="officer"),
    )
    assert r.status_code == 422
    assert field_error(r, "role") == "You cannot change your own role: ask another admin."
    assert find(Account, "be", "admin@customs-be.demo").role == "admin"


def test_f14_disable_kills_the_sessions_and_enable_restores_login(login_as, find, demo):
    officer_client = login_as("be", "officer")
    assert officer_client.get("/").status_code == 200
    c = login_as("be", "admin")
    officer = find(Account, "be", "officer@customs-be.demo")
    r = c.post(f"/admin/accounts/{officer.id}/disable")
    assert r.status_code == 303
    assert "disabled" in c.get(r.headers["Location"]).get_data(as_text=True)
    demo.expire_all()
    assert demo.get(UserSession, officer_client.session_id).revoked_at is not None
    after = officer_client.get("/")
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    assert find(Account, "be", "officer@customs-be.demo").active is False
    assert demo.scalar(select(AuditEvent).where(AuditEvent.action == "account.disable")).data == {
        "before": {"active": True},
        "after": {"active": False},
    }

    assert c.post(f"/admin/accounts/{officer.id}/enable").status_code == 303
    assert find(Account, "be", "officer@customs-be.demo").active is True
    # the revoked session stays revoked: the officer logs in again
    assert officer_client.get("/").status_code == 302
    assert login_as("be", "officer").get("/").status_code == 200


def test_f14_cannot_disable_or_delete_yourself(login_as, find):
    c = login_as("be", "admin")
    me = find(Account, "be", "admin@customs-be.demo")
    r = c.post(f"/admin/accounts/{me.id}/disable")
    assert "You cannot disable your own account." in c.get(r.headers["Location"]).get_data(
        as_text=True
    )
    r = c.post(f"/admin/accounts/{me.id}/delete")
    assert r.status_code == 409
    assert "You cannot delete your own account." in r.get_data(as_text=True)
    me = find(Account, "be", "admin@customs-be.demo")
    assert me is not None and me.active is True
    assert c.get("/admin/accounts").status_code == 200


def test_f14_delete_account(login_as, find, demo):
    officer_client = login_as("be", "officer")
    c = login_as("be", "admin")
    officer = find(Account, "be", "officer@customs-be.demo")
    confirm = c.get(f"/admin/accounts/{officer.id}/delete").get_data(as_text=True)
    assert "Delete account “Officer BE (officer@customs-be.demo)”?" in confirm
    r = c.post(f"/admin/accounts/{officer.id}/delete")
    assert r.status_code == 303
    assert find(Account, "be", "officer@customs-be.demo") is None
    assert officer_client.get("/").status_code == 302
    event = demo.scalar(select(AuditEvent).where(AuditEvent.action == "account.delete"))
    assert event.data["before"]["email"] == "officer@customs-be.demo"


def test_f14_request_password_reset_sends_a_link(app, login_as, find, demo):
    c = login_as("be", "admin")
    officer = find(Account, "be", "officer@customs-be.demo")
    r = c.post(f"/admin/accounts/{officer.id}/reset-password")
    assert "A password reset link was sent to officer@customs-be.demo." in c.get(
        r.headers["Location"]
    ).get_data(as_text=True)
    [mail] = outbox(app)
    assert mail["To"] == "officer@customs-be.demo" and "/set-password/" in body_of(mail)
    assert demo.scalar(
        select(AuditEvent).where(AuditEvent.action == "account.password_reset_requested")
    ).object_id == str(officer.id)
    # a disabled account gets no link
    c.post(f"/admin/accounts/{officer.id}/disable")
    r = c.post(f"/admin/accounts/{officer.id}/reset-password")
    assert "This account is disabled" in c.get(r.headers["Location"]).get_data(as_text=True)
    assert len(outbox(app)) == 1


def test_f14_force_password_change_at_next_login(login_as, find, demo):
    c = login_as("be", "admin")
    officer = find(Account, "be", "officer@customs-be.demo")
    assert officer.must_change_password is False
    r = c.post(f"/admin/accounts/{officer.id}/force-password-change")
    assert r.status_code == 303
    assert find(Account, "be", "officer@customs-be.demo").must_change_password is True
    assert demo.scalar(
        select(AuditEvent).where(AuditEvent.action == "account.force_password_change")
    ).data["after"] == {"must_change_password": True}


def test_f14_account_list_search_filters_and_htmx(login_as, find):
    c = login_as("be", "admin")
    page = c.get("/admin/accounts").get_data(as_text=True)
    for email in ("admin@", "regional-manager@", "controller@", "officer@"):
        assert email + "customs-be.demo" in page
    assert "customs-fr.demo" not in page
    frag = c.get("/admin/accounts?q=CONTROL", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in frag and "controller@customs-be.demo" in frag and "officer@" not in frag
    by_role = c.get("/admin/accounts?role=regional_manager").get_data(as_text=True)
    assert (
        "regional-manager@customs-be.demo" in by_role and "officer@customs-be.demo" not in by_role
    )
    antwerp = find(Region, "be", "Antwerp")
    by_region = c.get(f"/admin/accounts?region_id={antwerp.id}").get_data(as_text=True)
    assert "of 3" in by_region and "admin@customs-be.demo" not in by_region
    airport = find(Office, "be", "Brussels Airport")
    assert "No account matches." in c.get(f"/admin/accounts?office_id={airport.id}").get_data(
        as_text=True
    )
    assert "No account matches." in c.get("/admin/accounts?active=0").get_data(as_text=True)


def export(c, query: str = "") -> bytes:
    """Start the accounts export of the list `query` and download the file the job wrote."""
    from jobs.testing import run_queued_jobs

    r = c.post(f"/admin/accounts/export{query}")
    assert r.status_code == 303
    run_queued_jobs(c.app)  # with Redis the job waits for a worker, as in production
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    [link] = re.findall(r'href="(/admin/exports/\d+/download)"', page)
    r = c.get(link)
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in r.headers["Content-Disposition"]
    data = r.data
    r.close()
    return data


def test_f14_export_is_a_job_that_follows_the_filters_and_neutralises_formulas(
    login_as, find, demo
):
    c = login_as("be", "admin")
    antwerp, port = find(Region, "be", "Antwerp"), find(Office, "be", "Antwerp Port")
    for name, mail in [
        ("+1+2", "evil2@customs-be.demo"),
        ("-3", "evil3@customs-be.demo"),
        ("@SUM(A1)", "evil4@customs-be.demo"),
    ]:
        assert (
            c.post(
                "/admin/accounts/new", data=account_form(antwerp, port, full_name=name, email=mail)
            ).status_code
            == 303
        )
    # text a form refuses may still be stored from before: the export neutralises it too
    demo.add(
        Account(
            customs_id=antwerp.customs_id,
            email="evil1@customs-be.demo",
            full_name='=HYPERLINK("http://evil","x")',
            role="officer",
            region_id=antwerp.id,
            office_id=port.id,
        )
    )
    demo.commit()
    page = c.get("/admin/accounts?q=evil").get_data(as_text=True)
    assert 'action="/admin/accounts/export?q=evil"' in page
    ws = load_workbook(io.BytesIO(export(c, "?q=evil"))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("Full name / badge number", "Email", "Role")
    names = sorted(row[0] for row in rows[1:])
    assert names == ["'+1+2", "'-3", '\'=HYPERLINK("http://evil","x")', "'@SUM(A1)"]
    assert all(cell.data_type == "s" for row in ws.iter_rows(min_row=2) for cell in row[:1])
    assert {row[1] for row in rows[1:]} == {f"evil{i}@customs-be.demo" for i in range(1, 5)}
    assert rows[1][3] == "Antwerp" and rows[1][4] == "Antwerp Port"
    event = demo.scalar(select(AuditEvent).where(AuditEvent.action == "account.export"))
    assert event.data == {"filters": {"q": "evil"}}


def test_f14_an_export_is_only_its_owners(login_as):
    c = login_as("be", "admin")
    r = c.post("/admin/accounts/export")
    job_path = r.headers["Location"]
    other = login_as("be", "regional_manager")
    assert other.get(job_path).status_code == 404
    assert other.get(job_path + "/download").status_code == 404
    assert login_as("fr", "admin").get(job_path).status_code == 404
    assert c.get(job_path).status_code == 200


def test_f14_office_options_follow_the_region(login_as, find):
    c = login_as("be", "admin")
    brussels = find(Region, "be", "Brussels")
    r = c.get(
        f"/admin/accounts/office-options?region_id={brussels.id}", headers={"HX-Request": "true"}
    )
    text = r.get_data(as_text=True)
    assert "Brussels Airport" in text and "Antwerp Port" not in text


def test_f14_post_without_csrf_token_is_refused(login_as, find, count):
    c = login_as("be", "admin")
    antwerp = find(Region, "be", "Antwerp")
    r = c.post("/admin/accounts/new", data=account_form(antwerp), csrf=False)
    assert r.status_code == 400
    assert c.post("/admin/regions/new", data={"name": "NoToken"}, csrf=False).status_code == 400
    officer = find(Account, "be", "officer@customs-be.demo")
    assert c.post(f"/admin/accounts/{officer.id}/disable", csrf=False).status_code == 400
    assert count(Account, "be") == 4 and find(Region, "be", "NoToken") is None
    assert find(Account, "be", "officer@customs-be.demo").active is True


def test_r10_password_reset_requests_per_account_are_rate_limited(app, login_as, find):
    c = login_as("be", "admin")
    officer = find(Account, "be", "officer@customs-be.demo")
    for _ in range(5):
        assert c.post(f"/admin/accounts/{officer.id}/reset-password").status_code == 303
    assert c.post(f"/admin/accounts/{officer.id}/reset-password").status_code == 429
    assert len(outbox(app)) == 5
    controller = find(Account, "be", "controller@customs-be.demo")
    assert c.post(f"/admin/accounts/{controller.id}/reset-password").status_code == 303


def test_f14_export_link_follows_the_htmx_filters(login_as):
    c = login_as("be", "admin")
    frag = c.get("/admin/accounts?role=officer", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert 'action="/admin/accounts/export?role=officer"' in frag


def test_r12_every_refused_account_field_is_shown_at_once(login_as, count):
    c = login_as("be", "admin")
    r = c.post(
        "/admin/accounts/new",
        data={
            "full_name": "",
            "email": "officer@customs-be.demo",
            "role": "officer",
            "region_id": "",
        },
    )
    assert r.status_code == 422
    assert field_error(r, "full_name") == "Enter the full name."
    assert field_error(r, "email") == "Another account already uses this email address."
    assert field_error(r, "region_id") == "Choose a region."
    assert count(Account, "be") == 4
