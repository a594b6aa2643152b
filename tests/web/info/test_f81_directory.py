"""F-81 Directory: NGAs, chambers and every administration's offices with contact details; a
map of the offices drawn on the server (no other origin, unless MAP_TILE_URL is set); each
administration edits only its own offices, the operator the NGAs and chambers."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from portal.domain.info import directory, search, worldmap
from portal.models import NGA, Office


def _office(session, code: str) -> Office:
    from portal.models import CustomsAdministration

    admin = session.scalar(select(CustomsAdministration).where(CustomsAdministration.code == code))
    return session.scalar(
        select(Office)
        .where(Office.customs_id == admin.id)
        .order_by(Office.id)
        .execution_options(all_tenants=True)
    )


def test_f81_directory_lists_every_administrations_offices_and_the_ngas(login_as, session):
    from portal.domain.api_clients import create_issuing_association, create_nga

    nga = create_nga(session, "FR", "CCI France (t)", email="ata@cci.test", phone="+33 1")
    create_issuing_association(session, nga, "CCI Paris (t)", city="Paris", email="p@cci.test")
    session.commit()
    page = login_as("be", "officer").get("/directory").get_data(as_text=True)
    assert "CCI France (t)" in page and "ata@cci.test" in page and "CCI Paris (t)" in page
    fr_office = _office(session, "fr")
    assert fr_office.name in page  # another administration's office: the directory is shared
    detail = login_as("be", "officer").get(f"/directory/offices/{fr_office.id}")
    assert detail.status_code == 200 and fr_office.name in detail.get_data(as_text=True)


def test_f81_directory_edits_stay_in_their_administration(login_as, session, demo):
    be_admin = login_as("be", "admin")
    fr_office = _office(session, "fr")
    # another administration's office is a 404 for the admin screens
    assert be_admin.get(f"/admin/offices/{fr_office.id}").status_code == 404
    response = be_admin.post(
        f"/admin/offices/{fr_office.id}",
        data={"name": "Hijacked", "region_id": fr_office.region_id},
    )
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Office, fr_office.id).name != "Hijacked"
    # its own office: saved, and the directory (and its search) follows
    be_office = _office(session, "be")
    form = be_admin.get(f"/admin/offices/{be_office.id}").get_data(as_text=True)
    assert "Latitude" in form
    data = {
        "region_id": be_office.region_id,
        "name": "Zaventem Cargo",
        "city": be_office.city,
        "country_code": be_office.country_code or "",
        "latitude": "50.9010",
        "longitude": "4.4856",
        "timezone": be_office.timezone or "",
        "opening_hours": "Mon-Fri 8-18",
        "active": "y",
    }
    saved = be_admin.post(f"/admin/offices/{be_office.id}", data=data)
    assert saved.status_code in (200, 303), saved.get_data(as_text=True)[:500]
    session.expire_all()
    assert session.get(Office, be_office.id).latitude == Decimal("50.901000")
    hits = search.search(session, "Zaventem", language="en", audiences=("customs", "all"))
    assert [(h.kind, h.ref) for h in hits] == [("office", str(be_office.id))]
    assert "Mon-Fri 8-18" in login_as("be", "officer").get(
        f"/directory/offices/{be_office.id}"
    ).get_data(as_text=True)


def test_f81_map_is_drawn_on_the_server_with_no_other_origin(login_as, session, demo):
    page = login_as("be", "officer").get("/directory/map")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert int(re.search(r'data-countries="(\d+)"', html).group(1)) > 150  # world outlines
    with_coordinates = [
        o
        for o in session.scalars(select(Office).execution_options(all_tenants=True))
        if o.latitude is not None
    ]
    assert with_coordinates and html.count("data-office=") == len(with_coordinates)
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from elsewhere
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_f81_projection_puts_offices_where_they_are():
    assert worldmap.project(0, 0) == (360.0, 180.0)
    assert worldmap.project(-180, 90) == (0.0, 0.0)
    x, y = worldmap.project(4.35, 50.85)  # Brussels: right of Greenwich, north of the equator
    assert 360 < x < 370 and 70 < y < 80


def test_f81_tile_server_only_when_configured(app, login_as, session, demo):
    office = next(
        o
        for o in session.scalars(select(Office).execution_options(all_tenants=True))
        if o.latitude is not None
    )
    client = login_as("be", "officer")
    plain = client.get(f"/directory/offices/{office.id}").get_data(as_text=True)
    assert "office-tile" not in plain
    app.config["MAP_TILE_URL"] = "https://tiles.example/{z}/{x}/{y}.png"
    try:
        response = client.get(f"/directory/offices/{office.id}")
    finally:
        app.config["MAP_TILE_URL"] = ""
    html = response.get_data(as_text=True)
    assert re.search(r'src="https://tiles.example/13/\d+/\d+.png"', html)
    assert (
        "img-src 'self' data: blob: https://tiles.example"
        in response.headers["Content-Security-Policy"]
    )


def test_f81_operator_edits_an_nga(operator_client, session):
    from portal.domain.api_clients import create_nga

    nga = create_nga(session, "BE", "NGA edit (t)")
    session.commit()
    c = operator_client
    response = c.post(
        f"/console/ngas/{nga.id}",
        data={"csrf_token": c.csrf_token(), "name": "NGA edited (t)", "country": "BE",
              "email": "new@nga.test", "phone": "+32 9"},
    )  # fmt: skip
    assert response.status_code == 303
    session.expire_all()
    nga = session.get(NGA, nga.id)
    assert nga.name == "NGA edited (t)" and nga.email == "new@nga.test"
    refused = c.post(f"/console/ngas/{nga.id}", data={"csrf_token": c.csrf_token(), "name": ""})
    assert refused.status_code == 422
    hits = search.search(session, "edited", language="en", audiences=("all",))
    assert [(h.kind, h.ref) for h in hits] == [("nga", str(nga.id))]
    directory.reindex(session)  # idempotent
    session.commit()
    assert len(search.search(session, "edited", language="en", audiences=("all",))) == 1


def test_f81_wallet_directory_has_the_chain_not_the_offices(holder_client, session):
    from portal.domain.api_clients import create_nga

    create_nga(session, "CH", "Swiss NGA (wallet t)", phone="+41 1")
    session.commit()
    html = holder_client.get("/info/directory").get_data(as_text=True)
    assert "Swiss NGA (wallet t)" in html and "+41 1" in html
    assert "Customs offices" not in html
    assert holder_client.get("/directory").status_code == 404  # the customs page is not here


def _office_hits(session, office: Office) -> list:
    session.expire_all()
    return [
        h
        for h in search.search(session, office.name, language="en", audiences=("customs", "all"))
        if h.kind == "office" and h.ref == str(office.id)
    ]


def test_f81_deactivated_administration_leaves_the_directory_and_comes_back(
    login_as, operator_client, session
):
    from portal.models import AuditEvent, CustomsAdministration

    directory.reindex(session)
    session.commit()
    fr_office = _office(session, "fr")
    fr = session.get(CustomsAdministration, fr_office.customs_id)
    officer = login_as("be", "officer")
    assert fr_office.name in officer.get("/directory").get_data(as_text=True)
    assert _office_hits(session, fr_office)
    c = operator_client
    done = c.post(
        f"/console/administrations/{fr.id}/deactivate", data={"csrf_token": c.csrf_token()}
    )
    assert done.status_code == 303
    session.expire_all()
    assert session.get(CustomsAdministration, fr.id).active is False
    assert fr_office.name not in officer.get("/directory").get_data(as_text=True)
    assert f'data-office="{fr_office.id}"' not in officer.get("/directory/map").get_data(
        as_text=True
    )
    assert officer.get(f"/directory/offices/{fr_office.id}").status_code == 404
    assert _office_hits(session, fr_office) == []
    # saving the office meanwhile does not bring it back while its administration is inactive
    directory.index_office(session, session.get(Office, fr_office.id))
    session.commit()
    assert _office_hits(session, fr_office) == []
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "customs.deactivated"))
    assert event.actor_type == "operator" and event.actor_id == c.operator_id
    c.post(f"/console/administrations/{fr.id}/reactivate", data={"csrf_token": c.csrf_token()})
    session.expire_all()
    assert fr_office.name in officer.get("/directory").get_data(as_text=True)
    assert officer.get(f"/directory/offices/{fr_office.id}").status_code == 200
    assert _office_hits(session, fr_office)


def test_f81_deactivated_office_leaves_the_directory_and_comes_back(login_as, session, demo):
    be_office = _office(session, "be")
    admin = login_as("be", "admin")
    data = {
        "region_id": be_office.region_id,
        "name": be_office.name,
        "city": be_office.city or "",
        "country_code": be_office.country_code or "",
        "timezone": be_office.timezone or "",
    }
    directory.reindex(session)
    session.commit()
    assert _office_hits(session, be_office)
    off = admin.post(f"/admin/offices/{be_office.id}", data=data)  # "active" unticked
    assert off.status_code in (200, 303)
    session.expire_all()
    assert session.get(Office, be_office.id).active is False
    officer = login_as("be", "officer")
    assert officer.get(f"/directory/offices/{be_office.id}").status_code == 404
    assert _office_hits(session, be_office) == []
    on = admin.post(f"/admin/offices/{be_office.id}", data={**data, "active": "y"})
    assert on.status_code in (200, 303)
    assert officer.get(f"/directory/offices/{be_office.id}").status_code == 200
    assert _office_hits(session, be_office)


def test_f81_administration_action_needs_csrf_and_an_existing_administration(operator_client):
    c = operator_client
    assert (
        c.post(
            "/console/administrations/999999/deactivate", data={"csrf_token": c.csrf_token()}
        ).status_code
        == 404
    )
    assert c.post("/console/administrations/1/deactivate", csrf=False).status_code == 400
