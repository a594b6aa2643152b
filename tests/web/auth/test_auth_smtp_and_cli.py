"""F-11 through a real SMTP server, and the operator's `flask customs create`."""

from __future__ import annotations

import email
import email.policy
import re
import socket

from aiosmtpd.controller import Controller
from auth_helpers import NEW_PASSWORD, logged_in, login_password, path_of
from sqlalchemy import select

from portal.domain.demo import demo_email
from portal.models import Account, AuditEvent, CustomsAdministration


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_f11_reset_through_a_real_smtp_server(app, client_for, demo, monkeypatch):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        officer = demo_email("be", "officer")
        client = client_for("customs", "be")
        assert client.post("/forgot-password", data={"email": officer}).status_code == 303
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["To"] == officer and msg["Subject"] == "Reset your eATA password"
    link = re.search(r"http://\S+", msg.get_body(("plain",)).get_content()).group(0)
    assert link.startswith("http://customs-be.eata.test/set-password/")
    r = client.post(path_of(link), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 303
    assert login_password(client, officer, NEW_PASSWORD).status_code == 303
    assert logged_in(client)


def test_f14_customs_create_prints_an_invitation_for_the_first_admin(
    app, session, client_for, outbox
):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "customs",
            "create",
            "--code",
            "NL",
            "--name",
            "Dutch Customs",
            "--country",
            "nl",
            "--admin-email",
            "Chief@Douane.example",
            "--admin-name",
            "Anna de Vries",
        ]
    )
    assert result.exit_code == 0, result.output
    link = re.search(r"http://customs-nl\.eata\.test/set-password/\S+", result.output).group(0)
    administration = session.scalar(
        select(CustomsAdministration).where(CustomsAdministration.code == "nl")
    )
    assert administration.territory.code == "EU"
    admin = session.scalar(select(Account).where(Account.customs_id == administration.id))
    assert (
        admin.role == "admin"
        and admin.email == "chief@douane.example"
        and admin.password_hash is None
    )
    assert outbox.last_link("chief@douane.example") == link
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "customs.created"))
    # the first admin sets a password, logs in and must enrol MFA
    client = client_for("customs", "nl")
    client.post(path_of(link), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    r = login_password(client, "chief@douane.example", NEW_PASSWORD)
    assert r.location.endswith("/login/enrol")


def test_f14_customs_create_refuses_a_duplicate_code_and_an_unknown_country(app, demo):
    runner = app.test_cli_runner()
    args = ["--name", "X", "--admin-email", "a@b.example", "--admin-name", "A"]
    dup = runner.invoke(args=["customs", "create", "--code", "be", "--country", "BE", *args])
    assert dup.exit_code != 0 and "An administration with code 'be' already exists." in dup.output
    bad = runner.invoke(args=["customs", "create", "--code", "zz", "--country", "ZZ", *args])
    assert bad.exit_code != 0 and "Unknown country 'ZZ'" in bad.output
