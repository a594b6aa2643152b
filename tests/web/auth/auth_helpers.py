"""Helpers of the identity tests (the fixtures are in conftest.py): clock, outbox, login."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import glob
import os
import re

import pyotp
from sqlalchemy import select

from portal.db import now_utc as real_now
from portal.models import Account, AuditEvent

DEMO_PASSWORD = "eata-demo-passw0rd"
NEW_PASSWORD = "correct horse battery staple"  # 28 characters, not on the list

# every module whose "now" the identity rules read
CLOCK_MODULES = [
    "portal.domain.sessions",
    "portal.domain.tokens",
    "portal.domain.identity",
    "portal.domain.mfa",
    "portal.blueprints.auth.login_flow",
    "portal.blueprints.auth.account",
]


class Clock:
    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        return real_now() + self.offset

    def advance(self, **delta) -> None:
        self.offset += dt.timedelta(**delta)


class Outbox:
    def __init__(self, folder: str) -> None:
        self.folder = folder

    def messages(self) -> list[email.message.EmailMessage]:
        out = []
        for path in sorted(glob.glob(os.path.join(self.folder, "*.eml")), key=os.path.getmtime):
            with open(path, "rb") as fh:
                out.append(email.message_from_bytes(fh.read(), policy=email.policy.default))
        return out

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]

    def last_body(self, address: str) -> str:
        msgs = self.to(address)
        assert msgs, f"no message to {address}"
        return msgs[-1].get_body(("plain",)).get_content()

    def last_link(self, address: str) -> str:
        return re.search(r"https?://\S+", self.last_body(address)).group(0)

    def last_code(self, address: str) -> str:
        return re.search(r"\b(\d{6})\b", self.last_body(address)).group(1)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def login_password(client, email: str, password: str = DEMO_PASSWORD, remember: bool = False):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def totp_now(secret: str, clock: Clock | None = None) -> str:
    now = clock.now() if clock else real_now()
    return pyotp.TOTP(secret).at(now.replace(tzinfo=dt.UTC))


def audit_actions(session, customs_id: int | None = None) -> list[AuditEvent]:
    session.expire_all()
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if customs_id is not None:
        stmt = stmt.where(AuditEvent.customs_id == customs_id)
    return list(session.scalars(stmt))


def reload(session, account: Account) -> Account:
    session.expire_all()
    return session.get(Account, account.id)


def enable_totp_for(session, account: Account, clock: Clock | None = None) -> str:
    """Give `account` a TOTP second factor directly in the database; returns the secret."""
    from portal.domain import mfa

    secret = mfa.new_totp_secret()
    mfa.enable_totp(
        session, account, secret, totp_now(secret, clock), clock.now() if clock else None
    )
    session.commit()
    return secret


def logged_in(client) -> bool:
    r = client.get("/")
    return r.status_code == 200
