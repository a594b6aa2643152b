"""Fixtures of the chamber portal (chamber.<domain>): two issuing associations of the world's
NGA, staff accounts (password and TOTP), clients logged in through a real staff session, and
carnets issued by an association."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import glob
import os
import re

import pyotp
import pytest

from portal.db import now_utc
from portal.domain import api_clients, chambers, mfa
from portal.domain.passwords import hash_secret
from portal.extensions import db as database
from portal.models import Carnet, ChamberStaff, IssuingAssociation
from tests.support.factory import issue
from tests.web.info.conftest import make_operator, operator_client, ops_session  # noqa: F401

STAFF_PASSWORD = "chamber-passw0rd-long"


@pytest.fixture
def associations(world):
    """(ours, theirs): two issuing associations under the world's NGA."""
    ours = api_clients.create_issuing_association(world.session, world.nga, "CCI Genève (test)")
    theirs = api_clients.create_issuing_association(world.session, world.nga, "CCI Vaud (test)")
    world.session.commit()
    return ours, theirs


@pytest.fixture
def make_staff(app, associations):
    """make_staff(email, role="admin", association=None, totp=True, password=True) → (staff
    id, TOTP secret or None); the association is ours by default."""

    def make(
        email: str = "chloe@cci.test",
        role: str = "admin",
        association: IssuingAssociation | None = None,
        totp: bool = True,
        password: bool = True,
    ) -> tuple[int, str | None]:
        secret = pyotp.random_base32() if totp else None
        with database.new_session() as s:
            ia = s.get(IssuingAssociation, (association or associations[0]).id)
            staff = chambers.create_staff(
                s, ia, email, "Chloé Chambre", role, actor=api_clients.OPERATOR
            )
            if password:
                staff.password_hash = hash_secret(STAFF_PASSWORD)
            if secret:
                staff.totp_secret_enc = mfa.encrypt(secret)
            s.commit()
            return staff.id, secret

    return make


@pytest.fixture
def staff_session(app, client_for):
    """staff_session(staff_id, mfa_done=True) → a client on chamber.<domain> with a staff
    session (the second factor given, or not yet)."""

    def login(staff_id: int, mfa_done: bool = True):
        client = client_for("chamber")
        with database.new_session() as s:
            row = chambers.open_session(s, s.get(ChamberStaff, staff_id), "127.0.0.1")
            if mfa_done:
                row.mfa_at = now_utc()
            s.commit()
            sid = row.id
        with client.session_transaction() as sess:
            sess["_user_id"] = f"s:{sid}"
            sess["_fresh"] = True
        client.session_id = sid
        client.staff_id = staff_id
        return client

    return login


@pytest.fixture
def chamber_client(make_staff, staff_session):
    """A client on chamber.<domain> of our association's staff admin (both factors given)."""
    staff_id, _secret = make_staff()
    return staff_session(staff_id)


@pytest.fixture
def issue_for(world):
    """issue_for(association, **kw) → a carnet of the world's NGA issued by `association`."""

    def make(association: IssuingAssociation, **kw) -> Carnet:
        carnet = issue(world, **kw)
        carnet.issuing_association_id = association.id
        world.session.commit()
        return carnet

    return make


def last_link(app, address: str) -> str:
    """The path of the link in the last email sent to `address` (the mail outbox folder)."""
    messages = []
    for path in sorted(
        glob.glob(os.path.join(app.config["MAIL_OUTBOX_DIR"], "*.eml")), key=os.path.getmtime
    ):
        with open(path, "rb") as fh:
            message = email.message_from_bytes(fh.read(), policy=email.policy.default)
        if message["To"] == address:
            messages.append(message)
    assert messages, f"no message to {address}"
    body = messages[-1].get_body(("plain",)).get_content()
    return "/" + re.search(r"https?://\S+", body).group(0).split("/", 3)[3]


def totp_now(secret: str) -> str:
    return pyotp.TOTP(secret).at(dt.datetime.now(dt.UTC))
