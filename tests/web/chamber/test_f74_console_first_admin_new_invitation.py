"""F-74 (issue 17): a first staff admin invited from the console who never set a password gets
a new invitation from the operator (new link, the earlier one stops working), shown once after
the redirect; never once the association has an admin who accepted, never for another
association's staff."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.models import AuditEvent, ChamberStaff
from tests.web.chamber.conftest import STAFF_PASSWORD, last_link


def _form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}


def _invite_first(client, association) -> None:
    r = client.post(
        f"/console/associations/{association.id}/staff",
        data=_form(client, {"email": "first@cci.test", "full_name": "Fanny First"}),
    )
    assert r.status_code == 303


def test_f74_console_sends_a_new_invitation_to_a_pending_first_admin(
    app, operator_client, associations, session, client_for
):
    ours, _theirs = associations
    c = operator_client
    _invite_first(c, ours)
    old_path = last_link(app, "first@cci.test")
    page = c.get(f"/console/associations/{ours.id}/staff").text
    assert "Send a new invitation" in page and 'id="admin-pending"' in page
    staff = session.scalar(select(ChamberStaff).where(ChamberStaff.email == "first@cci.test"))
    r = c.post(f"/console/associations/{ours.id}/staff/{staff.id}/invite", data=_form(c, {}))
    assert r.status_code == 303
    shown = c.get(f"/console/associations/{ours.id}/staff").text
    new_link = re.search(r"<code>http://chamber\.[^<]+(/chamber/invitation/[^<]+)</code>", shown)
    assert new_link and new_link.group(1) != old_path
    assert last_link(app, "first@cci.test") == new_link.group(1)  # the same link, emailed
    assert "/chamber/invitation/" not in c.get(f"/console/associations/{ours.id}/staff").text
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "chamber_staff.invitation_resent")
    )
    assert event.actor_type == "operator" and event.object_id == str(staff.id)
    chamber = client_for("chamber")
    assert chamber.get(old_path).status_code in (404, 410)  # the earlier link stops working
    done = chamber.post(
        new_link.group(1),
        data=_form(chamber, {"password": STAFF_PASSWORD, "confirm": STAFF_PASSWORD}),
    )
    assert done.status_code in (302, 303)
    # accepted: no new invitation from the console any more
    page = c.get(f"/console/associations/{ours.id}/staff").text
    assert "Send a new invitation" not in page and 'id="admins-invite"' in page
    refused = c.post(f"/console/associations/{ours.id}/staff/{staff.id}/invite", data=_form(c, {}))
    assert refused.status_code == 303
    follow = c.get(refused.headers["Location"]).text
    assert "already set a password" in follow and "/chamber/invitation/" not in follow


def test_f74_console_new_invitation_refused_for_another_association_or_without_csrf(
    operator_client, associations, session
):
    ours, theirs = associations
    c = operator_client
    _invite_first(c, ours)
    staff = session.scalar(select(ChamberStaff).where(ChamberStaff.email == "first@cci.test"))
    wrong = c.post(f"/console/associations/{theirs.id}/staff/{staff.id}/invite", data=_form(c, {}))
    assert wrong.status_code == 404
    no_csrf = c.post(f"/console/associations/{ours.id}/staff/{staff.id}/invite", csrf=False)
    assert no_csrf.status_code == 400
    assert (
        session.scalar(
            select(AuditEvent).where(AuditEvent.action == "chamber_staff.invitation_resent")
        )
        is None
    )
