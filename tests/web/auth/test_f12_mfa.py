"""F-12: the second login step, TOTP without replays, email codes, recovery codes, enrolment
forced for admins and when the administration makes MFA mandatory, re-authentication."""

from __future__ import annotations

import re

from auth_helpers import (
    DEMO_PASSWORD,
    audit_actions,
    enable_totp_for,
    logged_in,
    login_password,
    reload,
    totp_now,
)
from sqlalchemy import select

from portal.domain.demo import demo_email
from portal.domain.identity import LOCK_AFTER

OFFICER = demo_email("be", "officer")
ADMIN = demo_email("be", "admin")


def _secret_on(page: bytes) -> str:
    return re.search(rb'id="totp-secret">([A-Z2-7]+)<', page).group(1).decode()


def test_f12_login_with_totp_is_two_steps_and_a_code_works_once(
    client_for, demo, account_of, session, clock
):
    officer = account_of("be", "officer")
    secret = enable_totp_for(session, officer, clock)
    clock.advance(seconds=30)
    client = client_for("customs", "be")
    r = login_password(client, OFFICER)
    assert r.status_code == 303 and r.location.endswith("/login/verify")
    assert not logged_in(client)  # the password alone does not log in
    code = totp_now(secret, clock)
    r = client.post("/login/verify", data={"code": code})
    assert r.status_code == 303 and logged_in(client)
    assert "mfa.success" in [e.action for e in audit_actions(session)]
    # the same code, replayed in the same 30 s, is refused (pyotp alone would accept it)
    other = client_for("customs", "be")
    login_password(other, OFFICER)
    r = other.post("/login/verify", data={"code": code})
    assert r.status_code == 422 and b"This code is not correct, already used or expired." in r.data
    assert not logged_in(other)
    # the next time-step's code passes
    clock.advance(seconds=30)
    r = other.post("/login/verify", data={"code": totp_now(secret, clock)})
    assert r.status_code == 303 and logged_in(other)


def test_f12_totp_code_from_long_ago_is_refused(client_for, demo, account_of, session, clock):
    officer = account_of("be", "officer")
    secret = enable_totp_for(session, officer, clock)
    clock.advance(minutes=5)
    old_code = totp_now(secret, clock)
    clock.advance(seconds=90)  # three steps later: outside valid_window=1
    client = client_for("customs", "be")
    login_password(client, OFFICER)
    r = client.post("/login/verify", data={"code": old_code})
    assert r.status_code == 422 and not logged_in(client)
    assert "mfa.failure" in [e.action for e in audit_actions(session)]


def test_f12_wrong_codes_lock_the_account(client_for, demo, account_of, session, clock):
    officer = account_of("be", "officer")
    enable_totp_for(session, officer, clock)
    client = client_for("customs", "be")
    login_password(client, OFFICER)
    for _ in range(LOCK_AFTER - 1):
        assert client.post("/login/verify", data={"code": "000000"}).status_code == 422
    r = client.post("/login/verify", data={"code": "000000"})
    assert r.status_code == 303 and r.location.endswith("/login")
    assert reload(session, officer).locked_until is not None
    r = login_password(client, OFFICER)
    assert b"locked" in r.data
    assert "login.lockout" in [e.action for e in audit_actions(session)]


def test_f12_pending_login_expires(client_for, demo, account_of, session, clock):
    officer = account_of("be", "officer")
    secret = enable_totp_for(session, officer, clock)
    client = client_for("customs", "be")
    login_password(client, OFFICER)
    clock.advance(minutes=11)
    r = client.post("/login/verify", data={"code": totp_now(secret, clock)})
    assert r.status_code == 303 and r.location.endswith("/login")
    assert not logged_in(client)


def test_f12_admin_must_enrol_totp_before_anything_else(
    client_for, demo, account_of, session, clock
):
    client = client_for("customs", "be")
    r = login_password(client, ADMIN)
    assert r.location.endswith("/login/enrol")
    r = client.get("/login/enrol")
    assert r.location.endswith("/login/enrol/totp")
    page = client.get("/login/enrol/totp")
    assert page.status_code == 200 and b'src="data:image/svg+xml' in page.data
    assert client.get("/").status_code == 302  # no other page until done
    secret = _secret_on(page.data)
    assert client.get("/login/enrol/totp").data.count(secret.encode()) >= 1  # same secret on reload
    r = client.post(
        "/login/enrol/totp",
        data={"code": "123456" if totp_now(secret, clock) != "123456" else "654321"},
    )
    assert r.status_code == 422 and b"This code does not match" in r.data
    r = client.post("/login/enrol/totp", data={"code": totp_now(secret, clock)})
    assert r.status_code == 200
    codes = re.findall(rb"<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></li>", r.data)
    assert len(codes) == 10
    assert logged_in(client)
    admin = reload(session, account_of("be", "admin"))
    assert (
        admin.mfa_method == "totp" and admin.totp_secret_enc and secret not in admin.totp_secret_enc
    )
    # a recovery code logs in once
    clock.advance(seconds=30)
    client.post("/logout")
    login_password(client, ADMIN)
    r = client.post("/login/verify", data={"code": codes[0].decode().lower()})
    assert r.status_code == 303 and logged_in(client)
    client.post("/logout")
    login_password(client, ADMIN)
    assert client.post("/login/verify", data={"code": codes[0].decode()}).status_code == 422


def test_f12_mandatory_mfa_of_the_administration_applies_to_everyone(
    client_for, demo, account_of, session
):
    from portal.models import CustomsAdministration

    officer = account_of("be", "officer")
    session.get(CustomsAdministration, officer.customs_id).mfa_mandatory = True
    session.commit()
    client = client_for("customs", "be")
    r = login_password(client, OFFICER)
    assert r.location.endswith("/login/enrol")
    assert not logged_in(client)
    # without the setting, the officer goes straight in
    fr = client_for("customs", "fr")
    assert login_password(fr, demo_email("fr", "officer")).location.endswith("/")


def test_f12_email_otp_enrolment_login_and_expiry(
    login_as, client_for, demo, account_of, session, outbox, clock
):
    client = login_as("be", "officer")
    # enrolment needs the password typed within 5 minutes
    r = client.get("/account/mfa/email")
    assert r.status_code == 303 and "/account/confirm-password" in r.location
    r = client.post(r.location, data={"password": "wrong"})
    assert r.status_code == 422
    r = client.post(
        "/account/confirm-password?next=/account/mfa/email", data={"password": DEMO_PASSWORD}
    )
    assert r.status_code == 303 and r.location.endswith("/account/mfa/email")
    r = client.post("/account/mfa/email", data={"addr-address": OFFICER})
    assert r.status_code == 422 and b"Use another address than your login email" in r.data
    alt = "officer.backup@example.org"
    r = client.post("/account/mfa/email", data={"addr-address": alt})
    assert r.status_code == 303
    code = outbox.last_code(alt)
    r = client.post("/account/mfa/email", data={"otp-code": code})
    assert r.status_code == 200 and b"Your recovery codes" in r.data
    assert reload(session, account_of("be", "officer")).mfa_method == "email"
    # at login the code goes to the alternative address
    other = client_for("customs", "be")
    login_password(other, OFFICER)
    page = other.get("/login/verify")
    assert page.status_code == 200
    assert len(outbox.to(alt)) == 2
    other.get("/login/verify")  # a reload does not send another code while one is live
    assert len(outbox.to(alt)) == 2
    r = other.post("/login/verify", data={"code": outbox.last_code(alt)})
    assert r.status_code == 303 and logged_in(other)


def test_f12_email_code_expires_while_login_is_pending(
    client_for, demo, account_of, session, outbox, clock, app, monkeypatch
):
    import portal.blueprints.auth.login_flow as login_flow

    monkeypatch.setattr(login_flow, "PENDING_MINUTES", 30)
    officer = account_of("be", "officer")
    officer.mfa_method, officer.mfa_email = "email", "alt@example.org"
    session.commit()
    client = client_for("customs", "be")
    login_password(client, OFFICER)
    client.get("/login/verify")
    code = outbox.last_code("alt@example.org")
    from portal.models.identity import EmailOtp

    stored = session.scalars(select(EmailOtp)).one()
    assert code not in stored.code_hash  # only a keyed hash is kept
    clock.advance(minutes=11)  # the code lives 10 minutes
    r = client.post("/login/verify", data={"code": code})
    assert r.status_code == 422 and not logged_in(client)
    r = client.post("/login/verify/resend")
    assert r.status_code == 303
    r = client.post("/login/verify", data={"code": outbox.last_code("alt@example.org")})
    assert r.status_code == 303 and logged_in(client)


def test_f12_reauthentication_expires_after_five_minutes(login_as, demo, clock):
    client = login_as("be", "officer")
    client.post(
        "/account/confirm-password?next=/account/mfa/totp", data={"password": DEMO_PASSWORD}
    )
    assert client.get("/account/mfa/totp").status_code == 200
    assert client.get("/account/email").status_code == 200
    clock.advance(minutes=6)
    r = client.get("/account/mfa/totp")
    assert r.status_code == 303 and "/account/confirm-password" in r.location


def test_f12_reauth_refuses_an_outside_next(login_as, demo):
    client = login_as("be", "officer")
    r = client.post(
        "/account/confirm-password?next=//evil.example/x", data={"password": DEMO_PASSWORD}
    )
    assert r.status_code == 303 and r.location.endswith("/account/mfa")


def test_f12_admin_cannot_turn_mfa_off_but_an_officer_can(
    login_as, demo, account_of, session, clock
):
    admin = account_of("be", "admin")
    enable_totp_for(session, admin, clock)
    client = login_as("be", "admin", account=admin)
    client.post("/account/confirm-password?next=/account/mfa", data={"password": DEMO_PASSWORD})
    r = client.post("/account/mfa/disable")
    assert r.status_code == 303
    assert b"always required for admins" in client.get("/account/mfa").data
    assert reload(session, admin).mfa_method == "totp"
    assert "mfa.disable_refused" in [e.action for e in audit_actions(session)]

    officer = account_of("be", "officer")
    enable_totp_for(session, officer, clock)
    client = login_as("be", "officer", account=officer)
    assert client.post("/account/mfa/disable").status_code == 303  # → re-auth first
    assert reload(session, officer).mfa_method == "totp"
    client.post("/account/confirm-password?next=/account/mfa", data={"password": DEMO_PASSWORD})
    client.post("/account/mfa/disable")
    assert reload(session, officer).mfa_method is None


def test_f12_new_recovery_codes_replace_the_old_ones(login_as, demo, account_of, session, clock):
    from portal.domain import mfa

    officer = account_of("be", "officer")
    enable_totp_for(session, officer, clock)
    client = login_as("be", "officer", account=officer)
    client.post("/account/confirm-password?next=/account/mfa", data={"password": DEMO_PASSWORD})
    r = client.post("/account/mfa/recovery-codes")
    codes = re.findall(rb"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", r.data)
    assert len(codes) == 10
    officer = reload(session, officer)
    assert mfa.use_recovery_code(session, officer, codes[3].decode())
    assert not mfa.use_recovery_code(session, officer, codes[3].decode())
    assert mfa.recovery_codes_left(session, officer) == 9
