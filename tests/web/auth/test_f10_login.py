"""F-10: password login, lockout, rate limit, audit, server-side sessions and their timeouts."""

from __future__ import annotations

from auth_helpers import (
    DEMO_PASSWORD,
    NEW_PASSWORD,
    audit_actions,
    logged_in,
    login_password,
    reload,
)

from portal.domain.demo import demo_email
from portal.domain.identity import LOCK_AFTER

OFFICER = demo_email("be", "officer")


def test_f10_login_and_logout(client_for, demo, account_of):
    client = client_for("customs", "be")
    assert client.get("/").status_code == 302
    r = login_password(client, OFFICER)
    assert r.status_code == 303 and r.location.endswith("/")
    home = client.get("/")
    assert home.status_code == 200 and b"Officer BE" in home.data
    # the account menu is on every page
    for label in (
        b"Change password",
        b"Multifactor authentication",
        b"Change email",
        b"My default office",
        b"Log out",
    ):
        assert label in home.data
    r = client.post("/logout")
    assert r.status_code == 303 and "/login" in r.location
    assert client.get("/").status_code == 302


def test_f10_wrong_password_and_unknown_email_get_the_same_generic_message(client_for, demo):
    client = client_for("customs", "be")
    wrong = login_password(client, OFFICER, "not the password at all")
    unknown = login_password(client, "nobody@customs-be.demo", "not the password at all")
    assert wrong.status_code == unknown.status_code == 422
    assert b"The email or password is not correct." in wrong.data
    assert b"The email or password is not correct." in unknown.data
    assert not logged_in(client)


def test_f10_audit_rows_for_login_success_and_failure(client_for, demo, account_of, session):
    officer = account_of("be", "officer")
    client = client_for("customs", "be")
    login_password(client, OFFICER, "wrong wrong wrong wrong")
    login_password(client, "ghost@customs-be.demo", "wrong wrong wrong wrong")
    login_password(client, OFFICER)
    events = audit_actions(session, officer.customs_id)
    by_action = [(e.action, e.actor_type, e.actor_id, e.actor_label) for e in events]
    assert ("login.failure", "account", officer.id, OFFICER) in by_action
    assert ("login.failure", "anonymous", None, "ghost@customs-be.demo") in by_action
    assert ("login.success", "account", officer.id, OFFICER) in by_action
    success = next(e for e in events if e.action == "login.success")
    assert success.customs_id == officer.customs_id and success.ip


def test_f10_lockout_after_repeated_failures(client_for, demo, account_of, session, clock):
    officer = account_of("be", "officer")
    client = client_for("customs", "be")
    for _ in range(LOCK_AFTER - 1):
        r = login_password(client, OFFICER, "a wrong password, again")
        assert b"The email or password is not correct." in r.data
    r = login_password(client, OFFICER, "a wrong password, again")
    assert b"This account is locked for 15 minutes" in r.data
    assert reload(session, officer).locked_until is not None
    # even the right password is refused while locked
    r = login_password(client, OFFICER)
    assert r.status_code == 422 and b"locked" in r.data
    assert not logged_in(client)
    actions = [e.action for e in audit_actions(session, officer.customs_id)]
    assert actions.count("login.lockout") == 1 and "login.locked" in actions
    lock = next(e for e in audit_actions(session) if e.action == "login.lockout")
    assert lock.actor_id == officer.id and lock.customs_id == officer.customs_id
    # the lock is temporary
    clock.advance(minutes=16)
    r = login_password(client, OFFICER)
    assert r.status_code == 303 and logged_in(client)
    assert reload(session, officer).failed_logins == 0


def test_f10_login_is_rate_limited_per_address(client_for, demo):
    client = client_for("customs", "be")
    statuses = [
        login_password(client, f"user{i}@customs-be.demo", "whatever it is").status_code
        for i in range(11)
    ]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    # another address is not limited by this one's attempts
    r = client.post(
        "/login",
        data={"email": OFFICER, "password": DEMO_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert r.status_code == 303


def test_f10_session_id_is_renewed_at_login(client_for, demo):
    client = client_for("customs", "be")
    with client.session_transaction() as sess:
        sess["_user_id"] = "c:planted-by-an-attacker"
        sess["planted"] = "x"
    login_password(client, OFFICER)
    with client.session_transaction() as sess:
        first = sess["_user_id"]
        assert first != "c:planted-by-an-attacker" and "planted" not in sess
    client.post("/logout")
    login_password(client, OFFICER)
    with client.session_transaction() as sess:
        assert sess["_user_id"] != first


def _copy_of(client, client_for):
    cookie = client.client.get_cookie("session", domain="customs-be.eata.test")
    thief = client_for("customs", "be")
    thief.client.set_cookie("session", cookie.value, domain="customs-be.eata.test")
    return thief


def test_f10_copied_cookie_stops_working_after_logout(client_for, demo):
    client = client_for("customs", "be")
    login_password(client, OFFICER)
    thief = _copy_of(client, client_for)
    assert logged_in(thief)
    client.post("/logout")
    assert not logged_in(thief)
    assert not logged_in(client)


def test_f10_copied_cookie_stops_working_after_password_change(client_for, demo, outbox):
    client = client_for("customs", "be")
    login_password(client, OFFICER)
    thief = _copy_of(client, client_for)
    other_device = client_for("customs", "be")
    login_password(other_device, OFFICER)
    r = client.post(
        "/account/password",
        data={"current_password": DEMO_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert r.status_code == 303
    assert logged_in(client)  # this browser got a new session
    assert not logged_in(thief)
    assert not logged_in(other_device)
    assert "every session was logged out" in outbox.last_body(OFFICER)
    r = client.post(
        "/account/password",
        data={
            "current_password": "not it",
            "password": NEW_PASSWORD + "!",
            "confirm": NEW_PASSWORD + "!",
        },
    )
    assert r.status_code == 422 and b"The current password is not correct." in r.data


def test_f10_idle_timeout(client_for, demo, clock):
    client = client_for("customs", "be")
    login_password(client, OFFICER)
    clock.advance(minutes=29)
    assert logged_in(client)  # activity keeps it alive
    clock.advance(minutes=29)
    assert logged_in(client)
    clock.advance(minutes=31)
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.location


def test_f10_absolute_timeout_even_when_active(client_for, demo, clock):
    client = client_for(
        "customs",
        "be",
    )
    login_password(client, OFFICER, remember=True)
    for _ in range(35):  # 11 h 40 of steady activity
        clock.advance(minutes=20)
        assert logged_in(client)
    clock.advance(minutes=21)  # 12 h 01 after the login
    assert not logged_in(client)


def test_f10_remember_me_makes_the_cookie_persistent(client_for, demo):
    plain = client_for("customs", "be")
    r = login_password(plain, OFFICER)
    assert "Expires=" not in r.headers["Set-Cookie"]
    remembered = client_for("customs", "be")
    r = login_password(remembered, OFFICER, remember=True)
    assert "Expires=" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]


def test_f02_credentials_of_one_administration_do_not_open_another(client_for, demo):
    client = client_for("customs", "fr")
    r = login_password(client, OFFICER)
    assert r.status_code == 422 and b"The email or password is not correct." in r.data


def test_f10_back_to_the_page_asked_for_after_login_never_to_another_site(client_for, demo):
    client = client_for("customs", "be")
    r = client.get("/account/office")
    assert r.status_code == 302 and r.location.endswith("/login?next=/account/office")
    r = client.post(
        "/login?next=%2Faccount%2Foffice", data={"email": OFFICER, "password": DEMO_PASSWORD}
    )
    assert r.status_code == 303 and r.location.endswith("/account/office")
    client.post("/logout")
    r = client.post(
        "/login?next=//evil.example/x", data={"email": OFFICER, "password": DEMO_PASSWORD}
    )
    assert r.status_code == 303 and r.location.endswith("/") and "evil" not in r.location


def test_f10_htmx_request_after_the_session_ended_redirects_the_whole_page(client_for, demo):
    client = client_for("customs", "be")
    r = client.get("/account/office", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/login")
