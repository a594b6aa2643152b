"""F-10: wrong "current password"s on the change-password page count towards the lockout, and
the lockout ends the session, as on the re-authentication page: a borrowed session cannot keep
guessing the password there."""

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
