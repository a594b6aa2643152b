"""F-11: "Forgot your password?" answers the same whether the email has an account or not, also
when the mail server fails: the failure is logged and audited, never shown as an error that
would tell which emails have an account."""

from __future__ import annotations

import socket

from auth_helpers import audit_actions

from portal.domain.demo import demo_email


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_f11_forgot_password_answers_the_same_when_the_mail_server_fails(
    app, client_for, demo, session, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    client = client_for("customs", "be")
    known = client.post("/forgot-password", data={"email": demo_email("be", "officer")})
    unknown = client.post("/forgot-password", data={"email": "nobody@customs-be.demo"})
    assert known.status_code == unknown.status_code == 303
    assert known.location == unknown.location
    assert "password.reset_mail_failed" in [e.action for e in audit_actions(session)]
