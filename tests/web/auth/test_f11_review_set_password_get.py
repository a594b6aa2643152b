"""Review finding: opening /set-password/<anything> logged the current user out before the
link was even checked, so any page could log a customs officer out with a plain link (a
state-changing GET)."""

from __future__ import annotations

from auth_helpers import logged_in


def test_f11_an_invalid_set_password_link_does_not_log_you_out(login_as, demo):
    client = login_as("be", "officer")
    assert client.get("/set-password/not-a-token").status_code == 404
    assert logged_in(client)
