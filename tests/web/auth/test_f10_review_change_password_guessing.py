"""Review finding: wrong "current password"s on the change-password page were counted, but the
session went on and the page kept answering, even once the account was locked. Someone holding
a borrowed session could keep guessing the password there; the re-authentication page ends the
session at the lockout, so this one must too."""

from __future__ import annotations

from auth_helpers import NEW_PASSWORD, audit_actions, logged_in, reload

from portal.domain.identity import LOCK_AFTER


def test_f10_guessing_the_current_password_locks_and_ends_the_session(
    login_as, demo, session, account_of
):
    client = login_as("be", "officer")
    data = {
        "current_password": "wrong password guess",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    for _ in range(LOCK_AFTER - 1):
        assert client.post("/account/password", data=data).status_code == 422
    r = client.post("/account/password", data=data)
    assert r.status_code == 303 and "/login" in r.location
    assert not logged_in(client)
    assert reload(session, account_of("be", "officer")).locked_until is not None
    assert "login.lockout" in [e.action for e in audit_actions(session)]
