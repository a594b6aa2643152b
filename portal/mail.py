"""Sending email: SMTP when MAIL_SERVER is set, otherwise one .eml file per message in the
outbox folder (development only: production refuses to start without MAIL_SERVER). The log
names the recipient and the file, never the message: it holds links, codes and PINs."""

from __future__ import annotations

import logging
import os
import smtplib
import uuid
from email.message import EmailMessage

log = logging.getLogger(__name__)


def build_message(
    config: dict, to: str, subject: str, body: str, html: str | None = None
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = config["MAIL_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4()}@eata>"
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def send_mail(config: dict, to: str, subject: str, body: str, html: str | None = None) -> None:
    msg = build_message(config, to, subject, body, html)
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(msg)
        return
    folder = config["MAIL_OUTBOX_DIR"]
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{uuid.uuid4().hex}.eml")
    with open(path, "wb") as fh:
        fh.write(bytes(msg))
    log.info("message to %s written to %s", to, path)
