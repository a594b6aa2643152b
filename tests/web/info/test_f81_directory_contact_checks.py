"""F-81 (issue 17): an NGA's and a chamber's contact details are checked in the domain before
the public directory shows them as mailto:, tel: and links — each refused field's message next
to it, nothing saved; an empty address prints no leading separator."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.domain import DomainError
from portal.domain.api_clients import contact_details, create_issuing_association, create_nga
from portal.models import NGA, IssuingAssociation
from tests.web.admin.conftest import field_error

BAD = {"email": "bad@", "phone": "abc", "website": "not a url"}


def _form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}


def test_f81_contact_details_check_email_phone_and_website(app):
    with app.test_request_context():
        assert contact_details(
            {"email": " Ata@CCI.test ", "phone": "+33 (1) 40-69.37", "website": "www.cci.test"},
            website=True,
        ) == {
            "street": "",
            "postal_code": "",
            "city": "",
            "email": "ata@cci.test",
            "phone": "+33 (1) 40-69.37",
            "website": "https://www.cci.test",
        }
        assert contact_details({}) == {
            "street": "",
            "postal_code": "",
            "city": "",
            "email": "",
            "phone": "",
        }
        with pytest.raises(DomainError) as refused:
            contact_details({**BAD, "street": "=HYPERLINK()"}, website=True)
        assert set(refused.value.by_field()) == {"email", "phone", "website", "street"}
        for website in ("javascript:alert(1)", "ftp://x.test", "https://", "http://no host"):
            with pytest.raises(DomainError):
                contact_details({"website": website}, website=True)
        with pytest.raises(DomainError):
            contact_details({"phone": "1" * 41})


def test_f81_console_refuses_bad_nga_contact_details_next_to_each_field(operator_client, session):
    c = operator_client
    response = c.post("/console/ngas", data=_form(c, {"name": "NGA X", "country": "FR", **BAD}))
    assert response.status_code == 422
    assert field_error(response, "email") == "Enter a valid email address, like name@example.com."
    assert field_error(response, "phone").startswith("Enter a phone number")
    assert field_error(response, "website").startswith("Enter a web address")
    assert session.scalar(select(func.count()).select_from(NGA)) == 0
    ok = c.post(
        "/console/ngas",
        data=_form(c, {"name": "NGA X", "country": "FR", "email": "a@x.test", "phone": "+33 1"}),
    )
    assert ok.status_code == 303
    nga = session.scalar(select(NGA))
    edited = c.post(f"/console/ngas/{nga.id}", data=_form(c, {"name": "NGA X", **BAD}))
    assert edited.status_code == 422
    assert field_error(edited, "phone").startswith("Enter a phone number")
    session.expire_all()
    assert session.get(NGA, nga.id).email == "a@x.test"  # nothing changed


def test_f81_console_refuses_bad_association_contact_details(operator_client, session):
    nga = create_nga(session, "FR", "NGA Y")
    session.commit()
    c = operator_client
    data = {"name": "CCI Z", "nga_id": nga.id, "email": "bad@", "phone": "zzz"}
    response = c.post("/console/associations/new", data=_form(c, data))
    assert response.status_code == 422
    assert field_error(response, "email") == "Enter a valid email address, like name@example.com."
    assert field_error(response, "phone").startswith("Enter a phone number")
    assert session.scalar(select(func.count()).select_from(IssuingAssociation)) == 0
    ok = c.post("/console/associations/new", data=_form(c, {**data, "email": "", "phone": ""}))
    assert ok.status_code == 303
    ia = session.scalar(select(IssuingAssociation))
    edited = c.post(f"/console/associations/{ia.id}", data=_form(c, {**data, "phone": "abc"}))
    assert edited.status_code == 422
    assert field_error(edited, "phone").startswith("Enter a phone number")


def test_f81_directory_prints_no_leading_separator_without_an_address(login_as, session):
    nga = create_nga(session, "FR", "NGA W", email="w@nga.test", phone="+33 1")
    create_issuing_association(session, nga, "CCI only mail", email="m@cci.test")
    session.commit()
    page = login_as("be", "officer").get("/directory").get_data(as_text=True)
    assert 'href="mailto:m@cci.test"' in page and 'href="tel:+331"' in page
    assert '<p class="contact"> ·' not in page and '<p class="contact">·' not in page
    assert '<p class="contact"><a href="mailto:m@cci.test">' in page
