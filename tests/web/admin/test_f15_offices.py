"""Offices (F-15): every field of the guide, list filters, create/edit/delete, regional managers
limited to their region (F-13, R-16), refusals next to the field that change nothing (R-12)."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.models import Account, AuditEvent, Office, Region
from tests.web.admin.conftest import field_error


def test_f15_admin_creates_an_office_with_every_field(login_as, find, office_form, demo):
    c = login_as("be", "admin")
    form = c.get("/admin/offices/new").get_data(as_text=True)
    for label in (
        "Region",
        "Name",
        "Office code",
        "Street and number",
        "Postal code",
        "City",
        "Country",
        "Email",
        "Phone",
        "Opening hours",
        "Latitude",
        "Longitude",
        "Time zone",
        "Administrative office",
        "Sea port",
        "Airport",
        "Land port",
        "Activated",
    ):
        assert f">{label}" in form or f"{label}\n" in form, label
    brussels = find(Region, "be", "Brussels")
    r = c.post("/admin/offices/new", data=office_form(brussels.id, is_land_port="y"))
    assert r.status_code == 303
    office = find(Office, "be", "Liège Airport")
    assert (office.region_id, office.code, office.street, office.postal_code, office.city) == (
        brussels.id,
        "BE-LGG",
        "Rue de l'Aéroport 1",
        "4460",
        "Grâce-Hollogne",
    )
    assert (office.country_code, office.email, office.phone, office.timezone) == (
        "BE",
        "lgg@customs-be.demo",
        "+32 4 234 84 11",
        "Europe/Brussels",
    )
    assert office.opening_hours == "Mon–Sun 00:00–24:00"
    assert office.latitude == Decimal("50.637400") and office.longitude == Decimal("5.443200")
    assert (
        office.is_administrative,
        office.is_sea_port,
        office.is_airport,
        office.is_land_port,
        office.active,
    ) == (False, False, True, True, True)
    event = demo.scalar(select(AuditEvent).where(AuditEvent.action == "office.create"))
    assert event.data["after"]["name"] == "Liège Airport"
    assert event.data["after"]["latitude"] == "50.637400"


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"name": ""}, "name", "Enter the office name."),
        ({"name": "antwerp port"}, "name", "An office called “antwerp port” already exists."),
        ({"region_id": ""}, "region_id", "Choose a region."),
        ({"latitude": "91"}, "latitude", "The latitude must be between -90 and 90."),
        ({"latitude": "-90.5"}, "latitude", "The latitude must be between -90 and 90."),
        ({"longitude": "180.01"}, "longitude", "The longitude must be between -180 and 180."),
        ({"latitude": "north"}, "latitude", "The latitude must be a number, like 50.901."),
        (
            {"longitude": ""},
            "longitude",
            "Enter the longitude too, or leave both coordinates empty.",
        ),
        (
            {"email": "not-an-email"},
            "email",
            "Enter a valid email address, like name@example.com.",
        ),
        (
            {"phone": "call me"},
            "phone",
            "Enter a phone number with digits, spaces and + ( ) - only.",
        ),
        ({"country_code": "XX"}, "country_code", "Choose a country from the list."),
        (
            {"timezone": "Mars/Olympus"},
            "timezone",
            "Choose a time zone from the list, like Europe/Brussels.",
        ),
    ],
)
def test_f15_r12_office_validation_error_next_to_field_changes_nothing(
    login_as, find, office_form, count, overrides, field, message
):
    c = login_as("be", "admin")
    brussels = find(Region, "be", "Brussels")
    data = office_form(brussels.id)
    data.update(overrides)
    r = c.post("/admin/offices/new", data=data)
    assert r.status_code == 422
    assert field_error(r, field) == message
    assert count(Office, "be") == 3


def test_f15_edit_office_with_validation_refusal_then_success(login_as, find, office_form, demo):
    c = login_as("be", "admin")
    office = find(Office, "be", "Brussels Airport")
    page = c.get(f"/admin/offices/{office.id}").get_data(as_text=True)
    assert 'value="Brussels Airport"' in page and 'value="50.901000"' in page
    bad = c.post(
        f"/admin/offices/{office.id}",
        data=office_form(office.region_id, name="Brussels Airport", latitude="123"),
    )
    assert bad.status_code == 422
    assert field_error(bad, "latitude") == "The latitude must be between -90 and 90."
    assert find(Office, "be", "Brussels Airport").latitude == Decimal("50.901000")
    ok = c.post(
        f"/admin/offices/{office.id}",
        data=office_form(
            office.region_id,
            name="Brussels Airport",
            code="BRU",
            is_airport="y",
            is_administrative="y",
        ),
    )
    assert ok.status_code == 303
    office = find(Office, "be", "Brussels Airport")
    assert office.code == "BRU" and office.is_administrative is True
    event = demo.scalar(select(AuditEvent).where(AuditEvent.action == "office.update"))
    assert event.data["before"]["code"] is None and event.data["after"]["code"] == "BRU"


def test_f15_office_list_search_filters_and_htmx(login_as, find):
    c = login_as("be", "admin")
    brussels = find(Region, "be", "Brussels")
    text = c.get("/admin/offices?type=is_sea_port").get_data(as_text=True)
    assert "Antwerp Port" in text and "Brussels Airport" not in text
    frag = c.get(f"/admin/offices?region_id={brussels.id}", headers={"HX-Request": "true"})
    body = frag.get_data(as_text=True)
    assert "<html" not in body and "Brussels Airport" in body and "Antwerp Port" not in body
    by_postcode = c.get("/admin/offices?q=2000").get_data(as_text=True)
    assert "Administrative Centre" in by_postcode and "Antwerp Port" not in by_postcode
    assert "Brussels Airport" in c.get("/admin/offices?q=zaventem").get_data(as_text=True)
    assert "No office matches." in c.get("/admin/offices?q=%25").get_data(as_text=True)
    assert "No office matches." in c.get("/admin/offices?active=0").get_data(as_text=True)


def test_f15_r12_delete_office_refused_while_accounts_reference_it(login_as, find, count):
    c = login_as("be", "admin")
    port = find(Office, "be", "Antwerp Port")
    r = c.post(f"/admin/offices/{port.id}/delete")
    assert r.status_code == 409
    assert "This office still has 4 accounts: move or delete them first." in r.get_data(
        as_text=True
    )
    assert count(Office, "be") == 3
    airport = find(Office, "be", "Brussels Airport")
    r = c.post(f"/admin/offices/{airport.id}/delete")
    assert r.status_code == 303
    assert find(Office, "be", "Brussels Airport") is None


def test_f13_regional_manager_manages_offices_of_their_region_only(
    login_as, find, office_form, count
):
    c = login_as("be", "regional_manager")
    listing = c.get("/admin/offices").get_data(as_text=True)
    assert "Antwerp Port" in listing and "Brussels Airport" not in listing
    airport = find(Office, "be", "Brussels Airport")
    assert c.get(f"/admin/offices/{airport.id}").status_code == 404
    assert (
        c.post(f"/admin/offices/{airport.id}", data=office_form(airport.region_id)).status_code
        == 404
    )
    assert c.post(f"/admin/offices/{airport.id}/delete").status_code == 404
    assert find(Office, "be", "Brussels Airport") is not None

    brussels = find(Region, "be", "Brussels")
    r = c.post("/admin/offices/new", data=office_form(brussels.id))
    assert r.status_code == 422
    assert field_error(r, "region_id") == "You can only manage offices of your own region."
    assert count(Office, "be") == 3

    antwerp = find(Region, "be", "Antwerp")
    form = c.get("/admin/offices/new").get_data(as_text=True)
    assert f'<option selected value="{antwerp.id}">Antwerp</option>' in form
    assert ">Brussels</option>" not in form
    assert c.post("/admin/offices/new", data=office_form(antwerp.id)).status_code == 303
    assert find(Office, "be", "Liège Airport").region_id == antwerp.id


def test_f13_officers_and_controllers_cannot_manage_offices(login_as, find, office_form):
    antwerp = find(Region, "be", "Antwerp")
    for role in ("officer", "controller"):
        c = login_as("be", role)
        assert c.get("/admin/offices").status_code == 403
        assert c.post("/admin/offices/new", data=office_form(antwerp.id)).status_code == 403
    assert find(Office, "be", "Liège Airport") is None
    assert find(Account, "be", "officer@customs-be.demo") is not None


def test_r12_every_refused_office_field_is_shown_at_once(login_as, count):
    c = login_as("be", "admin")
    r = c.post(
        "/admin/offices/new",
        data={
            "region_id": "",
            "name": "",
            "latitude": "91",
            "longitude": "5",
            "email": "x@",
            "phone": "?",
        },
    )
    assert r.status_code == 422
    assert field_error(r, "region_id") == "Choose a region."
    assert field_error(r, "name") == "Enter the office name."
    assert field_error(r, "latitude") == "The latitude must be between -90 and 90."
    assert field_error(r, "longitude") is None
    assert field_error(r, "email") == "Enter a valid email address, like name@example.com."
    assert field_error(r, "phone") == "Enter a phone number with digits, spaces and + ( ) - only."
    assert count(Office, "be") == 3
