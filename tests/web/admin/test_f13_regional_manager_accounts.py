"""F-13 / R-16: a regional manager manages the accounts of their own region only, never admins."""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.models import Account, AuditEvent, Office, Region
from tests.web.admin.conftest import body_of, field_error, outbox
from tests.web.admin.test_f14_accounts import export


@pytest.fixture
def brussels_officer(find, demo):
    brussels, airport = find(Region, "be", "Brussels"), find(Office, "be", "Brussels Airport")
    account = Account(
        customs_id=brussels.customs_id,
        email="jan@customs-be.demo",
        full_name="Jan Brussels",
        role="officer",
        region_id=brussels.id,
        office_id=airport.id,
    )
    demo.add(account)
    demo.commit()
    return account


def test_f13_regional_manager_sees_own_region_and_no_admin(login_as, brussels_officer):
    c = login_as("be", "regional_manager")
    page = c.get("/admin/accounts").get_data(as_text=True)
    assert "officer@customs-be.demo" in page and "controller@customs-be.demo" in page
    assert "admin@customs-be.demo" not in page and "jan@customs-be.demo" not in page
    assert '<option value="admin"' not in page
    exported = load_workbook(io.BytesIO(export(c))).active
    emails = {row[1] for row in exported.iter_rows(min_row=2, values_only=True)}
    assert emails == {
        "officer@customs-be.demo",
        "controller@customs-be.demo",
        "regional-manager@customs-be.demo",
    }


@pytest.mark.parametrize("target", ["jan@customs-be.demo", "admin@customs-be.demo"])
@pytest.mark.parametrize(
    "method,suffix",
    [
        ("GET", ""),
        ("POST", ""),
        ("GET", "/delete"),
        ("POST", "/delete"),
        ("POST", "/disable"),
        ("POST", "/enable"),
        ("POST", "/reset-password"),
        ("POST", "/force-password-change"),
    ],
)
def test_f13_other_region_or_admin_account_is_404_for_regional_manager(
    app, login_as, find, brussels_officer, target, method, suffix
):
    c = login_as("be", "regional_manager")
    account = find(Account, "be", target)
    path = f"/admin/accounts/{account.id}{suffix}"
    r = (
        c.get(path)
        if method == "GET"
        else c.post(path, data={"full_name": "Changed", "email": target, "role": "officer"})
    )
    assert r.status_code == 404
    after = find(Account, "be", target)
    assert (after.full_name, after.active, after.must_change_password) == (
        account.full_name,
        True,
        False,
    )
    assert outbox(app) == []


def test_f13_regional_manager_cannot_create_an_admin(login_as, find, count, demo):
    c = login_as("be", "regional_manager")
    antwerp = find(Region, "be", "Antwerp")
    form = c.get("/admin/accounts/new").get_data(as_text=True)
    assert '<option value="admin"' not in form and '<option value="officer"' in form
    r = c.post(
        "/admin/accounts/new",
        data={
            "full_name": "Wannabe",
            "email": "wannabe@customs-be.demo",
            "role": "admin",
            "region_id": str(antwerp.id),
        },
    )
    assert r.status_code == 403
    assert field_error(r, "role") == "You may not manage admin accounts."
    assert count(Account, "be") == 4
    denied = demo.scalar(select(AuditEvent).where(AuditEvent.action == "permission.denied"))
    assert denied.object_id == "role"


def test_f13_r16_regional_manager_creates_accounts_in_own_region_only(app, login_as, find, count):
    c = login_as("be", "regional_manager")
    antwerp, brussels = find(Region, "be", "Antwerp"), find(Region, "be", "Brussels")
    port = find(Office, "be", "Antwerp Port")
    base = {"full_name": "Piet", "email": "piet@customs-be.demo", "role": "controller"}
    r = c.post("/admin/accounts/new", data={**base, "region_id": str(brussels.id)})
    assert r.status_code == 422
    assert field_error(r, "region_id") == "You can only manage accounts of your own region."
    r = c.post(
        "/admin/accounts/new",
        data={
            **base,
            "region_id": str(antwerp.id),
            "office_id": str(find(Office, "be", "Brussels Airport").id),
        },
    )
    assert r.status_code == 422
    assert count(Account, "be") == 4 and outbox(app) == []
    r = c.post(
        "/admin/accounts/new",
        data={**base, "region_id": str(antwerp.id), "office_id": str(port.id)},
    )
    assert r.status_code == 303
    assert find(Account, "be", "piet@customs-be.demo").region_id == antwerp.id
    assert len(outbox(app)) == 1


def test_f13_regional_manager_edits_own_region_account_but_cannot_move_it_out(login_as, find):
    c = login_as("be", "regional_manager")
    controller = find(Account, "be", "controller@customs-be.demo")
    brussels, antwerp = find(Region, "be", "Brussels"), find(Region, "be", "Antwerp")
    r = c.post(
        f"/admin/accounts/{controller.id}",
        data={
            "full_name": "Controller BE",
            "email": controller.email,
            "role": "controller",
            "region_id": str(brussels.id),
        },
    )
    assert r.status_code == 422
    assert find(Account, "be", "controller@customs-be.demo").region_id == antwerp.id
    r = c.post(
        f"/admin/accounts/{controller.id}",
        data={
            "full_name": "Controller BE",
            "email": controller.email,
            "role": "officer",
            "region_id": str(antwerp.id),
            "office_id": str(find(Office, "be", "Antwerp Port").id),
        },
    )
    assert r.status_code == 303
    assert find(Account, "be", "controller@customs-be.demo").role == "officer"
    # and cannot promote anyone to admin
    r = c.post(
        f"/admin/accounts/{controller.id}",
        data={"full_name": "Controller BE", "email": controller.email, "role": "admin"},
    )
    assert r.status_code == 403
    assert find(Account, "be", "controller@customs-be.demo").role == "officer"


def test_f13_regional_manager_cannot_change_own_region(login_as, find):
    c = login_as("be", "regional_manager")
    me = find(Account, "be", "regional-manager@customs-be.demo")
    r = c.post(
        f"/admin/accounts/{me.id}",
        data={
            "full_name": me.full_name,
            "email": me.email,
            "role": "regional_manager",
            "region_id": "",
        },
    )
    assert r.status_code == 422
    assert field_error(r, "region_id") == "Choose a region."


# --- F-13: a regional manager may create a peer (the guide's matrix) but never manage one;
# an account's email changes only when the new address confirms it (the takeover path)


@pytest.fixture
def peer(login_as, find):
    """A second regional manager of Antwerp, created by the first one (allowed by the guide)."""
    c = login_as("be", "regional_manager")
    antwerp = find(Region, "be", "Antwerp")
    r = c.post(
        "/admin/accounts/new",
        data={
            "full_name": "Peer Manager",
            "email": "peer@customs-be.demo",
            "role": "regional_manager",
            "region_id": str(antwerp.id),
            "active": "y",
        },
    )
    assert r.status_code == 303
    return find(Account, "be", "peer@customs-be.demo")


@pytest.mark.parametrize(
    "method,suffix",
    [
        ("GET", ""),
        ("POST", ""),
        ("GET", "/delete"),
        ("POST", "/delete"),
        ("POST", "/disable"),
        ("POST", "/reset-password"),
        ("POST", "/force-password-change"),
    ],
)
def test_f13_regional_manager_cannot_manage_a_peer_regional_manager(
    app, login_as, find, peer, method, suffix
):
    sent = len(outbox(app))
    c = login_as("be", "regional_manager")
    path = f"/admin/accounts/{peer.id}{suffix}"
    r = (
        c.get(path)
        if method == "GET"
        else c.post(
            path,
            data={
                "full_name": "Peer Manager",
                "email": "attacker@evil.example",
                "role": "regional_manager",
                "region_id": str(peer.region_id),
            },
        )
    )
    assert r.status_code == 404
    after = find(Account, "be", "peer@customs-be.demo")
    assert (after.email, after.active, after.must_change_password) == (
        "peer@customs-be.demo",
        True,
        False,
    )
    assert len(outbox(app)) == sent


def test_f13_regional_manager_does_not_list_peers(login_as, peer):
    page = login_as("be", "regional_manager").get("/admin/accounts").get_data(as_text=True)
    assert "peer@customs-be.demo" not in page


def test_f13_regional_manager_cannot_promote_an_officer_to_regional_manager(login_as, find):
    c = login_as("be", "regional_manager")
    officer = find(Account, "be", "officer@customs-be.demo")
    form = c.get(f"/admin/accounts/{officer.id}").get_data(as_text=True)
    assert '<option value="regional_manager"' not in form
    r = c.post(
        f"/admin/accounts/{officer.id}",
        data={
            "full_name": officer.full_name,
            "email": officer.email,
            "role": "regional_manager",
            "region_id": str(officer.region_id),
            "office_id": str(officer.office_id or ""),
        },
    )
    assert r.status_code == 403
    assert field_error(r, "role") == "You may not manage regional manager accounts."
    assert find(Account, "be", "officer@customs-be.demo").role == "officer"


def _link_path(message) -> str:
    link = re.search(r"https?://\S+", body_of(message)).group(0)
    return "/" + link.split("/", 3)[3]


@pytest.mark.parametrize("role", ["admin", "regional_manager"])
def test_f13_email_change_by_a_manager_waits_for_the_new_address(
    app, login_as, find, client_for, demo, role
):
    c = login_as("be", role)
    officer = find(Account, "be", "officer@customs-be.demo")
    r = c.post(
        f"/admin/accounts/{officer.id}",
        data={
            "full_name": officer.full_name,
            "email": "attacker@evil.example",
            "role": "officer",
            "region_id": str(officer.region_id),
            "office_id": str(officer.office_id or ""),
        },
    )
    assert r.status_code == 303
    assert "when the link we sent there is opened" in c.get(r.headers["Location"]).get_data(
        as_text=True
    )
    # nothing changed yet: the login email, and a reset still goes to the owner
    assert find(Account, "be", "officer@customs-be.demo") is not None
    assert find(Account, "be", "attacker@evil.example") is None
    confirm, notice = outbox(app)
    assert confirm["To"] == "attacker@evil.example" and "/confirm-email/" in body_of(confirm)
    assert notice["To"] == "officer@customs-be.demo"
    assert "attacker@evil.example" in body_of(notice)
    r = c.post(f"/admin/accounts/{officer.id}/reset-password")
    assert outbox(app)[-1]["To"] == "officer@customs-be.demo"
    # following the link makes the change, announced to the old address
    visitor = client_for("customs", "be")
    assert visitor.post(_link_path(confirm)).status_code == 303
    assert find(Account, "be", "attacker@evil.example").id == officer.id
    announced = outbox(app)[-1]
    assert announced["To"] == "officer@customs-be.demo"
    assert "was changed" in body_of(announced)
    demo.expire_all()
    event = demo.scalar(
        select(AuditEvent).where(AuditEvent.action == "account.email_change_requested")
    )
    assert event.data == {"old": "officer@customs-be.demo", "new": "attacker@evil.example"}
