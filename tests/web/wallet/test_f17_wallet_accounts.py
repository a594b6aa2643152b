"""F-17: registration, email confirmation, login, lock-out, TOTP, wallet PIN and idle re-lock."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
from sqlalchemy import func, select

from portal.db import now_utc
from portal.domain import wallet as wallet_domain
from portal.models import AuditEvent, Holder, HolderSession, OutboxMessage
from tests.web.admin.conftest import field_error
from tests.web.wallet.conftest import PASSWORD, PIN

FORM = {
    "kind": "private",
    "title": "Ms",
    "given_names": "Anne",
    "surname": "Peeters",
    "email": "Anne@Example.test",
    "street": "Rue Haute 12",
    "postal_code": "1000",
    "city": "Bruxelles",
    "state": "",
    "country_code": "BE",
    "phone": "+32 470 12 34 56",
    "password": PASSWORD,
    "pin": PIN,
    "pin_confirm": PIN,
    "accept_terms": "y",
}


def _confirm_link(session) -> str:
    msg = session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "email").order_by(OutboxMessage.id.desc())
    )
    return re.search(r"http://wallet\.eata\.test(/my/confirm/\S+)", msg.body).group(1)


def _login(client, email="anne@example.test", password=PASSWORD):
    return client.post("/my/login", data={"email": email, "password": password})


def test_f17_register_confirm_login_unlock(app, client_for, session):
    c = client_for("wallet")
    assert c.get("/my/register").status_code == 200
    r = c.post("/my/register", data=FORM)
    assert r.status_code == 303, r.text
    holder = session.scalar(select(Holder).where(Holder.email == "anne@example.test"))
    assert holder.country_code == "BE" and holder.legal_name == "Anne Peeters"
    # not confirmed yet: login refused
    first_link = _confirm_link(session)
    r = _login(c)
    assert r.status_code == 422 and "Confirm your email" in r.text
    # a link was sent less than 10 minutes ago: no new one yet
    assert _confirm_link(session) == first_link
    link = first_link
    assert c.get(link).status_code == 303
    assert c.get(link).status_code == 404  # single use
    r = _login(c)
    assert r.status_code == 303 and "/my/unlock" in r.headers["Location"]
    # locked wallet: the carnets page asks for the PIN first
    assert "/my/unlock" in c.get("/my/carnets").headers["Location"]
    assert c.post("/my/unlock", data={"pin": "000111"}).status_code == 422
    r = c.post("/my/unlock", data={"pin": PIN})
    assert r.status_code == 303
    assert c.get("/my/carnets").status_code == 200
    # logout revokes the server session
    c.post("/my/logout")
    assert session.scalar(
        select(HolderSession.revoked_at)
        .where(HolderSession.holder_id == holder.id)
        .order_by(HolderSession.created_at.desc())
    )
    assert "/my/login" in c.get("/my/carnets").headers["Location"]


def test_f17_registration_refusals_next_to_the_field(app, client_for, make_holder):
    make_holder(email="taken@example.test")
    c = client_for("wallet")
    r = c.post("/my/register", data={**FORM, "email": "taken@example.test"})
    assert r.status_code == 422 and "already exists" in r.text
    r = c.post("/my/register", data={**FORM, "pin_confirm": "999999"})
    assert r.status_code == 422 and "two PINs differ" in r.text
    r = c.post("/my/register", data={**FORM, "pin": "111111", "pin_confirm": "111111"})
    assert r.status_code == 422 and "too easy" in r.text
    r = c.post("/my/register", data={**FORM, "password": "short"})
    assert r.status_code == 422 and "at least 15" in r.text
    r = c.post("/my/register", data={k: v for k, v in FORM.items() if k != "accept_terms"})
    assert r.status_code == 422 and "Accept the terms" in r.text
    r = c.post("/my/register", data=FORM, headers={"X-CSRFToken": "bad"})
    assert r.status_code == 400


def test_r12_registration_refuses_an_invalid_email_next_to_the_field(app, client_for, session):
    c = client_for("wallet")
    for email in ("anne@", "anne@example", "anne@@example.test"):
        r = c.post("/my/register", data={**FORM, "email": email})
        assert r.status_code == 422, email
        assert field_error(r, "email") == "Enter a valid email address, like name@example.com."
    assert session.scalar(select(func.count(Holder.id))) == 0
    assert session.scalar(select(func.count(OutboxMessage.id))) == 0
    r = c.post("/my/register", data=FORM)
    assert r.status_code == 303
    assert session.scalar(select(Holder.email)) == "anne@example.test"


def _value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    found = re.search(r'value="([^"]*)"', tag)
    return found.group(1) if found else None


def test_f17_register_form_keeps_what_was_typed(app, client_for, make_holder):
    """A refusal about one field gives back everything else, password and PIN included; a
    refused password or PIN is emptied."""
    c = client_for("wallet")
    r = c.post("/my/register", data={**FORM, "phone": "call me"})
    assert r.status_code == 422 and "cell phone number" in r.text
    assert _value(r.text, "street") == "Rue Haute 12"
    assert _value(r.text, "password") == PASSWORD
    assert _value(r.text, "pin") == PIN and _value(r.text, "pin_confirm") == PIN
    r = c.post("/my/register", data={**FORM, "password": "short"})
    assert r.status_code == 422 and not _value(r.text, "password")
    assert _value(r.text, "pin") == PIN
    r = c.post("/my/register", data={**FORM, "pin_confirm": "999999"})
    assert r.status_code == 422 and _value(r.text, "password") == PASSWORD
    assert not _value(r.text, "pin") and not _value(r.text, "pin_confirm")
    assert r.headers["Cache-Control"] == "no-store"


def test_f17_country_of_residence_cannot_change(app, make_holder, wallet_client, session):
    holder = make_holder(country="CH")
    c = wallet_client(holder)
    r = c.post(
        "/my/account",
        data={
            "street": "Neue Strasse 2",
            "postal_code": "8002",
            "city": "Zürich",
            "phone": "+41 79 000 00 00",
            "country_code": "FR",
        },
    )
    assert r.status_code == 422 and "cannot be changed" in r.text
    r = c.post(
        "/my/account",
        data={
            "street": "Neue Strasse 2",
            "postal_code": "8002",
            "city": "Zürich",
            "phone": "+41 79 000 00 00",
        },
    )
    assert r.status_code == 303
    session.expire_all()
    h = session.get(Holder, holder.id)
    assert h.country_code == "CH" and h.street == "Neue Strasse 2"


def test_r10_login_lockout_after_failures(app, client_for, make_holder, session):
    holder = make_holder(email="lock@example.test")
    c = client_for("wallet")
    for _ in range(wallet_domain.MAX_LOGIN_FAILURES):
        r = _login(c, "lock@example.test", "wrong password entirely 123")
        assert r.status_code == 422 and "Wrong email or password" in r.text
    r = _login(c, "lock@example.test", PASSWORD)  # right password, but locked
    assert r.status_code == 422 and "Too many failed logins" in r.text
    assert (
        session.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == "holder.login_failed", AuditEvent.object_id == str(holder.id)
            )
        )
        is not None
    )


def test_f17_totp_second_step(app, make_holder, wallet_client, client_for, session):
    holder = make_holder(email="totp@example.test")
    c = wallet_client(holder)
    page = c.get("/my/account/totp")
    secret = re.search(r'name="secret" type="hidden" value="([A-Z2-7]+)"', page.text).group(1)
    assert c.post("/my/account/totp", data={"secret": secret, "code": "000000"}).status_code == 422
    r = c.post("/my/account/totp", data={"secret": secret, "code": pyotp.TOTP(secret).now()})
    assert r.status_code == 303
    c2 = client_for("wallet")
    r = _login(c2, "totp@example.test")
    assert "/my/login/code" in r.headers["Location"]
    # the password alone does not open the wallet
    assert "/my/login" in c2.get("/my/carnets").headers["Location"]
    assert c2.post("/my/login/code", data={"code": "123456"}).status_code == 422
    # the code used at enrolment cannot be replayed; the next step's code works
    later = pyotp.TOTP(secret).at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))
    r = c2.post("/my/login/code", data={"code": later})
    assert r.status_code == 303 and "/my/unlock" in r.headers["Location"]


def test_r10_wrong_totp_codes_lock_the_login_and_end_the_pending_session(
    app, make_holder, client_for, session
):
    holder = make_holder(email="totp-lock@example.test")
    secret = wallet_domain.new_totp()[0]
    wallet_domain.enable_totp(session, holder, secret, pyotp.TOTP(secret).now())
    session.commit()
    c2 = client_for("wallet")
    assert "/my/login/code" in _login(c2, "totp-lock@example.test").headers["Location"]
    totp, now = pyotp.TOTP(secret), dt.datetime.now(dt.UTC)
    near = {totp.at(now + dt.timedelta(seconds=s)) for s in (-60, -30, 0, 30, 60)}
    wrong = next(code for code in ("000000", "111111", "222222") if code not in near)
    for _ in range(wallet_domain.MAX_LOGIN_FAILURES - 1):
        assert c2.post("/my/login/code", data={"code": wrong}).status_code == 422
    r = c2.post("/my/login/code", data={"code": wrong})  # the lock ends the pending session
    assert r.status_code == 303 and "/my/login" in r.headers["Location"]
    assert "/my/login" in c2.get("/my/carnets").headers["Location"]
    # locked: even the right password is refused until the lock runs out
    r = _login(client_for("wallet"), "totp-lock@example.test")
    assert r.status_code == 422 and "Too many failed logins" in r.text
    failed = session.scalars(
        select(AuditEvent.actor_id).where(
            AuditEvent.action == "holder.totp_failed", AuditEvent.object_id == str(holder.id)
        )
    ).all()
    assert failed == [holder.id] * wallet_domain.MAX_LOGIN_FAILURES


def test_f17_wallet_pin_asked_again_after_idle(app, make_holder, wallet_client, session):
    holder = make_holder()
    c = wallet_client(holder)
    assert c.get("/my/carnets").status_code == 200
    # time travel: the last activity was 11 minutes ago
    hs = session.get(HolderSession, c.session_id)
    hs.unlocked_at = now_utc() - dt.timedelta(minutes=11)
    session.commit()
    r = c.get("/my/carnets")
    assert r.status_code == 302 and "/my/unlock" in r.headers["Location"]
    # htmx polling gets a redirect header (portal.web.redirect_to), not the unlock page inside
    # a fragment
    r = c.get("/my/notifications", headers={"HX-Request": "true"})
    assert not r.data and "/my/unlock" in r.headers["HX-Redirect"]


def test_f17_polling_does_not_keep_the_wallet_unlocked(app, make_holder, wallet_client, session):
    holder = make_holder()
    c = wallet_client(holder)
    hs = session.get(HolderSession, c.session_id)
    idle_since = now_utc() - dt.timedelta(minutes=5)
    hs.unlocked_at = idle_since
    session.commit()
    c.get("/my/notifications", headers={"HX-Request": "true", "HX-Trigger": "live"})
    session.expire_all()
    assert session.get(HolderSession, c.session_id).unlocked_at == idle_since
    c.get("/my/notifications")  # a page the holder opens is activity
    session.expire_all()
    assert session.get(HolderSession, c.session_id).unlocked_at > idle_since
    assert c.post("/my/unlock", data={"pin": PIN}).status_code == 303
    assert c.get("/my/carnets").status_code == 200


def test_f17_too_many_wrong_pins_end_the_session(app, make_holder, wallet_client, session):
    holder = make_holder()
    c = wallet_client(holder, unlocked=False)
    for _ in range(wallet_domain.MAX_PIN_FAILURES - 1):
        assert c.post("/my/unlock", data={"pin": "000111"}).status_code == 422
    r = c.post("/my/unlock", data={"pin": "000111"})
    assert r.status_code == 303 and "/my/login" in r.headers["Location"]
    session.expire_all()
    assert session.get(HolderSession, c.session_id).revoked_at is not None


def test_f17_wallet_and_customs_hosts_are_separate(
    app, client_for, login_as, make_holder, wallet_client
):
    assert client_for("customs", "be").get("/my/login").status_code == 404
    assert client_for("api").get("/my/login").status_code == 404
    officer = login_as("be", "officer")
    assert officer.get("/my/carnets").status_code == 404
    w = wallet_client(make_holder())
    assert w.get("/login").status_code == 404
    assert w.get("/admin/accounts").status_code == 404
    r = w.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/my/carnets")


def _without_csrf(page: str) -> str:
    """A page without its CSRF tokens: each is signed with the second it was made in, so two
    answers a second apart differ there and nowhere else."""
    return re.sub(r'(X-CSRFToken": "|name="csrf_token" value=")[^"]+', r"\1", page)


def _reset_link(session, email: str) -> str | None:
    msg = session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == email, OutboxMessage.subject.like("%reset your password"))
        .order_by(OutboxMessage.id.desc())
    )
    return (
        re.search(r"http://wallet\.eata\.test(/my/password/reset/\S+)", msg.body).group(1)
        if msg
        else None
    )


def test_f17_password_reset_by_a_single_use_emailed_link(
    app, client_for, make_holder, wallet_client, session
):
    holder = make_holder(email="ann@example.test")
    other_device = wallet_client(holder)
    c = client_for("wallet")
    assert "/my/password/forgot" in c.get("/my/login").text
    r = c.post("/my/password/forgot", data={"email": "Ann@Example.test"})
    assert r.status_code == 200 and "If a wallet exists for this address" in r.text
    link = _reset_link(session, "ann@example.test")
    assert c.get(link).status_code == 200
    new = "a brand new sentence for my wallet"
    r = c.post(link, data={"password": new, "password_confirm": new + "x"})
    assert r.status_code == 422 and "two passwords differ" in r.text
    r = c.post(link, data={"password": "short", "password_confirm": "short"})
    assert r.status_code == 422 and "at least 15" in r.text
    r = c.post(link, data={"password": new, "password_confirm": new})
    assert r.status_code == 303 and r.headers["Location"].endswith("/my/login")
    assert c.get(link).status_code == 404  # single use
    assert c.post(link, data={"password": new, "password_confirm": new}).status_code == 404
    assert _login(c, "ann@example.test", PASSWORD).status_code == 422
    assert _login(c, "ann@example.test", new).status_code == 303
    # every session open before the reset is ended; the holder is told by email
    assert "/my/login" in other_device.get("/my/carnets").headers["Location"]
    assert (
        session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.subject == "eATA wallet: your password was changed"
            )
        )
        is not None
    )


def test_r10_password_reset_tells_nothing_expires_and_is_rate_limited(
    app, client_for, make_holder, session
):
    from portal.models import HolderToken

    make_holder(email="ann@example.test")
    c = client_for("wallet")
    unknown = c.post("/my/password/forgot", data={"email": "nobody@example.test"})
    known = c.post("/my/password/forgot", data={"email": "ann@example.test"})
    assert unknown.status_code == known.status_code == 200
    assert _without_csrf(unknown.text) == _without_csrf(
        known.text.replace("ann@example.test", "nobody@example.test")
    )
    assert _reset_link(session, "nobody@example.test") is None
    first = _reset_link(session, "ann@example.test")
    # a second request within 10 minutes sends nothing new (same answer)
    again = c.post("/my/password/forgot", data={"email": "ann@example.test"})
    assert _without_csrf(again.text) == _without_csrf(known.text)
    assert _reset_link(session, "ann@example.test") == first
    # the link expires
    token = session.scalar(select(HolderToken).where(HolderToken.purpose == "reset_password"))
    token.expires_at = now_utc() - dt.timedelta(seconds=1)
    session.commit()
    assert c.get(first).status_code == 404
    # the route limits requests per client
    for _ in range(3):
        c.post("/my/password/forgot", data={"email": "ann@example.test"})
    assert c.post("/my/password/forgot", data={"email": "ann@example.test"}).status_code == 429
