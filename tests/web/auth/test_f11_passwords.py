"""F-11: invitations and resets by single-use expiring links, forgot password, forced change,
the password rules; the account menu's email and office changes."""

from __future__ import annotations

import re

from auth_helpers import (
    DEMO_PASSWORD,
    NEW_PASSWORD,
    audit_actions,
    enable_totp_for,
    logged_in,
    login_password,
    path_of,
    reload,
    totp_now,
)
from sqlalchemy import select

from portal.domain.demo import demo_email
from portal.extensions import db
from portal.models import Account, Office

OFFICER = demo_email("be", "officer")


def _invite(app, session, account_of, email="new.officer@customs-be.demo", days=None):
    from portal.blueprints.auth.emails import send_account_invitation, send_invitation

    officer = account_of("be", "officer")
    acc = Account(
        customs_id=officer.customs_id,
        email=email,
        full_name="New Officer",
        role="officer",
        region_id=officer.region_id,
        office_id=officer.office_id,
    )
    session.add(acc)
    session.commit()
    with app.app_context():
        account = db.session.get(Account, acc.id)
        link = send_invitation(account, days=days) if days else send_account_invitation(account)
        db.session.commit()
    return acc, link


def test_f11_invitation_link_sets_the_password_once(
    app, client_for, demo, account_of, session, outbox
):
    acc, link = _invite(app, session, account_of)
    assert outbox.last_link(acc.email) == link
    assert link.startswith("http://customs-be.eata.test/set-password/")
    client = client_for("customs", "be")
    page = client.get(path_of(link))
    assert page.status_code == 200 and b"Welcome to eATA" in page.data
    r = client.post(path_of(link), data={"password": "short", "confirm": "short"})
    assert r.status_code == 422 and b"Use at least 15 characters" in r.data
    r = client.post(path_of(link), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 303 and r.location.endswith("/login")
    assert not logged_in(client)  # the link does not log in: the login (with MFA) comes next
    # single use
    again = client_for("customs", "be")
    assert again.get(path_of(link)).status_code == 404
    r = again.post(
        path_of(link), data={"password": NEW_PASSWORD + "x", "confirm": NEW_PASSWORD + "x"}
    )
    assert r.status_code == 404
    assert login_password(client, acc.email, NEW_PASSWORD).status_code == 303
    assert "password.set" in [e.action for e in audit_actions(session)]


def test_f11_invitation_expires_after_the_administrations_invitation_days(
    app, client_for, demo, account_of, session, clock
):
    from portal.models import CustomsAdministration

    session.get(CustomsAdministration, account_of("be", "officer").customs_id).invitation_days = 3
    session.commit()
    acc, link = _invite(app, session, account_of)
    client = client_for("customs", "be")
    clock.advance(days=2, hours=23)
    assert client.get(path_of(link)).status_code == 200
    clock.advance(hours=2)
    r = client.get(path_of(link))
    assert r.status_code == 404 and b"expired or was already used" in r.data
    r = client.post(path_of(link), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 404
    assert reload(session, acc).password_hash is None


def test_f11_link_of_one_administration_is_dead_on_another(
    app, client_for, demo, account_of, session
):
    _acc, link = _invite(app, session, account_of)
    fr = client_for("customs", "fr")
    assert fr.get(path_of(link)).status_code == 404


def test_f11_forgot_password_never_reveals_whether_the_email_exists(client_for, demo, outbox):
    client = client_for("customs", "be")
    known = client.post("/forgot-password", data={"email": OFFICER})
    known_page = client.get("/login").data
    unknown = client.post("/forgot-password", data={"email": "nobody@customs-be.demo"})
    unknown_page = client.get("/login").data
    assert known.status_code == unknown.status_code == 303
    assert known.location == unknown.location
    assert b"If an account uses this email" in known_page
    flash = re.compile(rb'<div class="flashes".*?</div>', re.S)
    assert flash.search(known_page).group(0) == flash.search(unknown_page).group(0)
    assert len(outbox.to(OFFICER)) == 1 and outbox.to("nobody@customs-be.demo") == []
    assert "60 minutes" in outbox.last_body(OFFICER)


def test_f11_forgot_password_is_rate_limited(client_for, demo):
    client = client_for("customs", "be")
    statuses = [
        client.post("/forgot-password", data={"email": f"x{i}@customs-be.demo"}).status_code
        for i in range(6)
    ]
    assert statuses == [303] * 5 + [429]


def test_f11_reset_link_lives_one_hour_and_a_new_one_kills_the_old(client_for, demo, outbox, clock):
    client = client_for("customs", "be")
    client.post("/forgot-password", data={"email": OFFICER})
    first = outbox.last_link(OFFICER)
    client.post("/forgot-password", data={"email": OFFICER})
    assert len(outbox.to(OFFICER)) == 1  # at most one mail a minute per account
    clock.advance(minutes=2)
    client.post("/forgot-password", data={"email": OFFICER})
    second = outbox.last_link(OFFICER)
    assert second != first
    assert client.get(path_of(first)).status_code == 404
    clock.advance(minutes=59)
    assert client.get(path_of(second)).status_code == 200
    clock.advance(minutes=2)
    assert client.get(path_of(second)).status_code == 404


def test_f11_reset_does_not_bypass_mfa(client_for, demo, account_of, session, outbox, clock):
    officer = account_of("be", "officer")
    secret = enable_totp_for(session, officer, clock)
    client = client_for("customs", "be")
    client.post("/forgot-password", data={"email": OFFICER})
    link = outbox.last_link(OFFICER)
    # 8 characters are enough with MFA on
    r = client.post(path_of(link), data={"password": "tulip-87", "confirm": "tulip-87"})
    assert r.status_code == 303 and r.location.endswith("/login")
    assert not logged_in(client)
    r = login_password(client, OFFICER, "tulip-87")
    assert r.location.endswith("/login/verify")
    assert not logged_in(client)
    clock.advance(seconds=30)
    client.post("/login/verify", data={"code": totp_now(secret, clock)})
    assert logged_in(client)


def test_f11_reset_ends_existing_sessions_and_lifts_a_lock(
    client_for, demo, account_of, session, outbox
):
    officer = account_of("be", "officer")
    victim = client_for("customs", "be")
    login_password(victim, OFFICER)
    for _ in range(5):
        login_password(client_for("customs", "be"), OFFICER, "guessing guessing")
    assert reload(session, officer).locked_until is not None
    client = client_for("customs", "be")
    client.post("/forgot-password", data={"email": OFFICER})
    client.post(
        path_of(outbox.last_link(OFFICER)), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert not logged_in(victim)
    assert login_password(client, OFFICER, NEW_PASSWORD).status_code == 303 and logged_in(client)


def test_f11_forced_password_change_at_next_login(client_for, demo, account_of, session):
    officer = account_of("be", "officer")
    officer.must_change_password = True
    session.commit()
    client = client_for("customs", "be")
    r = login_password(client, OFFICER)
    assert r.location.endswith("/login/new-password")
    assert not logged_in(client)
    r = client.post(
        "/login/new-password", data={"password": DEMO_PASSWORD + "-longer", "confirm": "other"}
    )
    assert r.status_code == 422 and b"The two passwords differ." in r.data
    r = client.post(
        "/login/new-password",
        data={"password": "1q2w3e4r5t6y7u8i9o0p", "confirm": "1q2w3e4r5t6y7u8i9o0p"},
    )
    assert r.status_code == 422 and b"too common" in r.data
    r = client.post("/login/new-password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 303 and r.location.endswith("/")
    assert logged_in(client)
    assert reload(session, officer).must_change_password is False


def test_f10_change_email_needs_reauth_and_a_link_sent_to_the_new_address(
    login_as, client_for, demo, account_of, session, outbox, clock
):
    officer = account_of("be", "officer")
    client = login_as("be", "officer", account=officer)
    r = client.post("/account/email", data={"email": "officer.new@customs-be.demo"})
    assert r.status_code == 303 and "confirm-password" in r.location
    client.post("/account/confirm-password?next=/account/email", data={"password": DEMO_PASSWORD})
    r = client.post("/account/email", data={"email": demo_email("be", "controller")})
    assert r.status_code == 422 and b"Another account of this administration already uses" in r.data
    r = client.post("/account/email", data={"email": "Officer.New@customs-be.demo"})
    assert r.status_code == 303
    assert reload(session, officer).email == OFFICER  # not yet: the new address must confirm
    link = outbox.last_link("officer.new@customs-be.demo")
    visitor = client_for("customs", "be")
    page = visitor.get(
        path_of(link)
    )  # opening (or a mail scanner fetching) the link changes nothing
    assert page.status_code == 200 and reload(session, officer).email == OFFICER
    assert visitor.post(path_of(link)).status_code == 303
    assert reload(session, officer).email == "officer.new@customs-be.demo"
    assert "officer.new@customs-be.demo" in outbox.last_body(OFFICER)  # the old address is told
    assert visitor.post(path_of(link)).status_code == 404  # single use
    assert login_password(visitor, "officer.new@customs-be.demo").status_code == 303
    # a second request's link expires after an hour
    client.post("/account/confirm-password?next=/account/email", data={"password": DEMO_PASSWORD})
    client.post("/account/email", data={"email": "officer.third@customs-be.demo"})
    link = outbox.last_link("officer.third@customs-be.demo")
    clock.advance(minutes=61)
    assert visitor.get(path_of(link)).status_code == 404


def test_r16_default_office_only_in_my_region(login_as, demo, account_of, session):
    officer = account_of("be", "officer")
    offices = session.scalars(select(Office).where(Office.customs_id == officer.customs_id)).all()
    mine = [o for o in offices if o.region_id == officer.region_id and o.id != officer.office_id]
    elsewhere = next(o for o in offices if o.region_id != officer.region_id)
    client = login_as("be", "officer")
    page = client.get("/account/office")
    assert page.status_code == 200 and elsewhere.name.encode() not in page.data
    r = client.post("/account/office", data={"office_id": elsewhere.id})
    assert r.status_code == 422 and b"is not in your region" in r.data
    assert "permission.denied" in [e.action for e in audit_actions(session)]
    r = client.post("/account/office", data={"office_id": mine[0].id})
    assert r.status_code == 303 and reload(session, officer).office_id == mine[0].id
    # another administration's office does not exist here
    fr_office = session.scalars(
        select(Office).where(Office.customs_id != officer.customs_id)
    ).first()
    r = client.post("/account/office", data={"office_id": fr_office.id})
    assert r.status_code == 422 and b"does not exist" in r.data
    # an admin may pick any office of the administration
    admin = login_as("be", "admin")
    r = admin.post("/account/office", data={"office_id": elsewhere.id})
    assert r.status_code == 303


def test_f12_account_pages_need_a_login(client_for, demo):
    client = client_for("customs", "be")
    for path in (
        "/account/password",
        "/account/mfa",
        "/account/email",
        "/account/office",
        "/account/mfa/totp",
    ):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.location, path
    assert re.search(r"/login", client.get("/account/mfa").location)
