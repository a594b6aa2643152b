"""Issue 17 (operator console): every console POST answers with a redirect (PRG), so a reload
never creates a second client, rotates again or re-creates an administration; a new secret or
invitation link is shown once after the redirect, never in the address; "New secret" and
"Revoke" ask first, since they cut off a chamber's system."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.models import ApiClient, AuditEvent, CustomsAdministration


def _form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}


def _secret(html: str) -> str | None:
    found = re.search(r'id="client-secret">([^<]+)<', html)
    return found.group(1) if found else None


def _nga(session):
    from portal.domain.api_clients import create_nga

    nga = create_nga(session, "BE", "NGA test")
    session.commit()
    return nga


def test_f80_api_client_creation_redirects_and_shows_the_secret_once(operator_client, session):
    c = operator_client
    nga = _nga(session)
    created = c.post(
        "/console/api-clients", data=_form(c, {"name": "NICS", "owner": f"nga:{nga.id}"})
    )
    assert created.status_code == 303
    assert created.headers["Location"].endswith("/console/api-clients")
    assert "secret" not in created.headers["Location"]
    first = c.get("/console/api-clients").get_data(as_text=True)
    secret = _secret(first)
    assert secret
    # a reload shows the list without the secret and creates nothing
    again = c.get("/console/api-clients").get_data(as_text=True)
    assert _secret(again) is None and secret not in again
    assert session.scalar(select(func.count()).select_from(ApiClient)) == 1
    # the secret is not readable in the session cookie
    with c.session_transaction() as sess:
        assert secret not in repr(dict(sess))


def test_f80_api_client_creation_refused_shows_the_form_and_creates_nothing(
    operator_client, session
):
    c = operator_client
    refused = c.post("/console/api-clients", data=_form(c, {"name": "", "owner": "customs:0"}))
    assert refused.status_code == 422
    assert session.scalar(select(func.count()).select_from(ApiClient)) == 0


def test_f80_new_secret_and_revoke_ask_for_a_confirmation_first(operator_client, session):
    c = operator_client
    nga = _nga(session)
    c.post("/console/api-clients", data=_form(c, {"name": "NICS", "owner": f"nga:{nga.id}"}))
    secret = _secret(c.get("/console/api-clients").get_data(as_text=True))
    client = session.scalar(select(ApiClient))
    old_hash = client.secret_hash

    asked = c.post(f"/console/api-clients/{client.id}/rotate", data=_form(c, {}))
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert 'id="client-confirm"' in page and 'name="confirm" value="yes"' in page
    session.expire_all()
    assert session.get(ApiClient, client.id).secret_hash == old_hash  # nothing changed yet

    rotated = c.post(f"/console/api-clients/{client.id}/rotate", data=_form(c, {"confirm": "yes"}))
    assert rotated.status_code == 303
    new_secret = _secret(c.get("/console/api-clients").get_data(as_text=True))
    assert new_secret and new_secret != secret
    assert _secret(c.get("/console/api-clients").get_data(as_text=True)) is None
    rotations = select(func.count()).where(AuditEvent.action == "api_client.rotated")
    assert session.scalar(rotations) == 1

    asked = c.post(f"/console/api-clients/{client.id}/revoke", data=_form(c, {}))
    assert asked.status_code == 200 and 'id="client-confirm"' in asked.get_data(as_text=True)
    session.expire_all()
    assert session.get(ApiClient, client.id).active is True
    revoked = c.post(f"/console/api-clients/{client.id}/revoke", data=_form(c, {"confirm": "yes"}))
    assert revoked.status_code == 303
    session.expire_all()
    assert session.get(ApiClient, client.id).active is False
    # without CSRF: refused, even confirmed
    refused = c.post(
        f"/console/api-clients/{client.id}/rotate", data={"confirm": "yes"}, csrf=False
    )
    assert refused.status_code == 400


def test_f80_new_administration_redirects_and_shows_the_link_once(operator_client, session):
    c = operator_client
    data = {
        "code": "de",
        "name": "German Customs",
        "country": "DE",
        "admin_email": "first@zoll.test",
        "admin_name": "First Admin",
    }
    created = c.post("/console/administrations", data=_form(c, data))
    assert created.status_code == 303
    assert "set-password" not in created.headers["Location"]
    page = c.get("/console/administrations").get_data(as_text=True)
    assert "set-password" in page and "German Customs created" in page
    assert "set-password" not in c.get("/console/administrations").get_data(as_text=True)
    count = (
        select(func.count())
        .select_from(CustomsAdministration)
        .where(CustomsAdministration.code == "de")
    )
    assert session.scalar(count) == 1
    # a second submission of the same data is still refused next to the form
    again = c.post("/console/administrations", data=_form(c, data))
    assert again.status_code == 422 and "already exists" in again.get_data(as_text=True)
