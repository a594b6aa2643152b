"""F-83 / F-82 on the chamber portal (issue #17): every screen has a Help link to the chamber
guide (served on the chamber host, in the reader's language) and, once signed in, the app's one
language switch — the choice is stored on the staff member (chamber_staff.language), audited,
and the next pages are in that language. A language that is not shipped is refused (400); the
switch needs a signed-in staff member."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import AuditEvent, ChamberStaff


def test_f82_every_chamber_screen_links_to_the_chamber_guide(chamber_client, client_for):
    for path in ("/chamber/carnets", "/chamber/advice", "/chamber/staff"):
        page = chamber_client.get(path)
        assert 'href="/chamber/help#the-chamber-portal"' in page.text, path
        assert 'action="/chamber/language"' in page.text, path
    guide = chamber_client.get("/chamber/help")
    assert guide.status_code == 200 and 'id="the-chamber-portal"' in guide.text
    # public, like the other sites' help; the login page links to it too
    anonymous = client_for("chamber")
    assert anonymous.get("/chamber/help").status_code == 200
    login = anonymous.get("/chamber/login")
    assert 'href="/chamber/help#the-chamber-portal"' in login.text
    assert 'action="/chamber/language"' not in login.text  # nobody to store it on


def test_f83_the_chamber_language_switch_stores_the_choice(chamber_client, session, client_for):
    r = chamber_client.post(
        "/chamber/language",
        data={
            "csrf_token": chamber_client.csrf_token(),
            "language": "fr",
            "next": "/chamber/advice",
        },
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("/chamber/advice")
    session.expire_all()
    staff = session.get(ChamberStaff, chamber_client.staff_id)
    assert staff.language == "fr"
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "chamber_staff.language_changed")
    )
    assert event is not None and event.data["language"] == "fr"
    page = chamber_client.get("/chamber/carnets")
    assert '<html lang="fr"' in page.text
    # a language not shipped: refused, nothing changed
    bad = chamber_client.post(
        "/chamber/language", data={"csrf_token": chamber_client.csrf_token(), "language": "de"}
    )
    assert bad.status_code == 400
    session.expire_all()
    assert session.get(ChamberStaff, chamber_client.staff_id).language == "fr"
    # nobody signed in: to the login, nothing stored
    anonymous = client_for("chamber")
    r = anonymous.post("/chamber/language", data={"language": "es"})
    assert r.status_code in (302, 303, 400)
