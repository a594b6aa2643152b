"""F-11: opening a /set-password/<token> link is a safe GET: an invalid link answers 404 and
leaves the current user logged in, so a plain link on any page cannot log a customs officer
out."""

from __future__ import annotations

from auth_helpers import logged_in


def test_f11_an_invalid_set_password_link_does_not_log_you_out(login_as, demo):
    client = login_as("be", "officer")
    assert client.get("/set-password/not-a-token").status_code == 404
    assert logged_in(client)
