"""F-02 / R-17: an admin of one administration gets a 404 for every admin route with an object
of another, and another administration's ids typed into a form are refused."""

import pytest
from sqlalchemy import select

from portal.models import Account, AuditEvent, Office, Region
from tests.web.admin.conftest import field_error, outbox

ROUTES = [
    ("GET", "/admin/regions/{region}"),
    ("POST", "/admin/regions/{region}"),
    ("GET", "/admin/regions/{region}/delete"),
    ("POST", "/admin/regions/{region}/delete"),
    ("GET", "/admin/offices/{office}"),
    ("POST", "/admin/offices/{office}"),
    ("GET", "/admin/offices/{office}/delete"),
    ("POST", "/admin/offices/{office}/delete"),
    ("GET", "/admin/accounts/{account}"),
    ("POST", "/admin/accounts/{account}"),
    ("GET", "/admin/accounts/{account}/delete"),
    ("POST", "/admin/accounts/{account}/delete"),
    ("POST", "/admin/accounts/{account}/disable"),
    ("POST", "/admin/accounts/{account}/enable"),
    ("POST", "/admin/accounts/{account}/reset-password"),
    ("POST", "/admin/accounts/{account}/force-password-change"),
]


@pytest.fixture
def fr_ids(find):
    region = find(Region, "fr", "Normandie")
    office = find(Office, "fr", "Le Havre Port")
    account = find(Account, "fr", "officer@customs-fr.demo")
    return {"region": region.id, "office": office.id, "account": account.id}


@pytest.mark.parametrize("method,pattern", ROUTES)
def test_r17_be_admin_gets_404_for_every_fr_object(app, login_as, find, fr_ids, method, pattern):
    c = login_as("be", "admin")
    path = pattern.format(**fr_ids)
    data = {
        "name": "Hijacked",
        "full_name": "Hijacked",
        "email": "hijack@customs-be.demo",
        "role": "officer",
        "region_id": str(fr_ids["region"]),
        "active": "",
    }
    r = c.get(path) if method == "GET" else c.post(path, data=data)
    assert r.status_code == 404, path
    assert b"Normandie" not in r.data and b"customs-fr" not in r.data
    # nothing of FR changed
    assert find(Region, "fr", "Normandie") is not None
    assert find(Office, "fr", "Le Havre Port") is not None
    fr_officer = find(Account, "fr", "officer@customs-fr.demo")
    assert fr_officer.active is True and fr_officer.full_name == "Officer FR"
    assert fr_officer.must_change_password is False
    assert outbox(app) == []


def test_r17_fr_ids_in_be_forms_are_refused(login_as, find, fr_ids, count):
    c = login_as("be", "admin")
    antwerp = find(Region, "be", "Antwerp")
    r = c.post(
        "/admin/offices/new",
        data={"region_id": str(fr_ids["region"]), "name": "Trojan", "active": "y"},
    )
    assert r.status_code == 422
    assert field_error(r, "region_id") == "Choose a region from the list."
    r = c.post(
        "/admin/accounts/new",
        data={
            "full_name": "Trojan",
            "email": "trojan@customs-be.demo",
            "role": "officer",
            "region_id": str(antwerp.id),
            "office_id": str(fr_ids["office"]),
        },
    )
    assert r.status_code == 422
    assert field_error(r, "office_id") == "Choose an office from the list."
    r = c.post(
        "/admin/accounts/new",
        data={
            "full_name": "Trojan",
            "email": "trojan@customs-be.demo",
            "role": "officer",
            "region_id": str(fr_ids["region"]),
        },
    )
    assert r.status_code == 422
    assert field_error(r, "region_id") == "Choose a region from the list."
    officer = find(Account, "be", "officer@customs-be.demo")
    r = c.post(
        f"/admin/accounts/{officer.id}",
        data={
            "full_name": "Officer BE",
            "email": officer.email,
            "role": "officer",
            "region_id": str(antwerp.id),
            "office_id": str(fr_ids["office"]),
        },
    )
    assert r.status_code == 422
    assert find(Account, "be", "officer@customs-be.demo").office_id == officer.office_id
    assert count(Office, "be") == 3 and count(Account, "be") == 4


def test_r17_lists_and_filters_show_nothing_of_another_administration(login_as, fr_ids):
    c = login_as("be", "admin")
    for path in (
        "/admin/regions",
        "/admin/offices",
        "/admin/accounts",
        f"/admin/offices?region_id={fr_ids['region']}",
        f"/admin/accounts?office_id={fr_ids['office']}",
        f"/admin/accounts/office-options?region_id={fr_ids['region']}",
    ):
        r = c.get(path)
        assert r.status_code == 200, path
        for fr_name in (b"Normandie", b"Le Havre", b"customs-fr.demo", b"Paris"):
            assert fr_name not in r.data, (path, fr_name)


def test_r17_settings_change_only_the_own_administration(login_as, demo):
    from portal.models import CustomsAdministration

    c = login_as("be", "admin")
    assert (
        c.post("/admin/settings", data={"mfa_mandatory": "y", "invitation_days": "7"}).status_code
        == 303
    )
    demo.expire_all()
    admins = {a.code: a for a in demo.scalars(select(CustomsAdministration))}
    assert (admins["be"].mfa_mandatory, admins["be"].invitation_days) == (True, 7)
    assert (admins["fr"].mfa_mandatory, admins["fr"].invitation_days) == (False, 14)


def test_r17_denials_are_audited(login_as, demo):
    c = login_as("be", "officer")
    assert c.get("/admin/accounts").status_code == 403
    event = demo.scalar(select(AuditEvent).where(AuditEvent.action == "permission.denied"))
    assert event.object_id == "create_officer_account"
    assert event.data == {"path": "/admin/accounts"}
