"""Fixtures of the information pages and the operator's console: operators (password and
TOTP), clients on ops.<domain> logged in through a real operator session."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from portal.db import now_utc
from portal.domain import mfa
from portal.domain.info import operators
from portal.extensions import db as database

OPERATOR_PASSWORD = "operator-passw0rd-long"


@pytest.fixture
def make_operator(app):
    """make_operator() → (operator id, TOTP secret or None) of a new operator."""

    def make(email: str = "op@ops.test", totp: bool = True) -> tuple[int, str | None]:
        secret = pyotp.random_base32() if totp else None
        with database.new_session() as s:
            op = operators.create_operator(s, email, "Olga Operator", OPERATOR_PASSWORD)
            if secret:
                op.totp_secret_enc = mfa.encrypt(secret)
            s.commit()
            return op.id, secret

    return make


@pytest.fixture
def ops_session(app, client_for):
    """ops_session(operator_id, mfa=True) → a client on ops.<domain> with an operator session
    (the second factor given, or not yet)."""

    def login(operator_id: int, mfa_done: bool = True):
        from portal.models import Operator

        client = client_for("ops")
        with database.new_session() as s:
            row = operators.open_session(s, s.get(Operator, operator_id), "127.0.0.1")
            if mfa_done:
                row.mfa_at = now_utc()
            s.commit()
            sid = row.id
        with client.session_transaction() as sess:
            sess["_user_id"] = f"o:{sid}"
            sess["_fresh"] = True
        client.session_id = sid
        return client

    return login


@pytest.fixture
def operator_client(make_operator, ops_session):
    """A client on ops.<domain> of an operator who passed both factors."""
    operator_id, _secret = make_operator()
    client = ops_session(operator_id)
    client.operator_id = operator_id
    return client


def totp_now(secret: str) -> str:
    return pyotp.TOTP(secret).at(dt.datetime.now(dt.UTC))


@pytest.fixture
def holder_client(app, client_for, world):
    """A client on wallet.<domain> of the world's holder, logged in and unlocked."""
    from portal.domain import wallet as wallet_domain
    from portal.models import Holder

    client = client_for("wallet")
    with database.new_session() as s:
        hs = wallet_domain.open_holder_session(s, s.get(Holder, world.holder.id), mfa_pending=False)
        hs.unlocked_at = now_utc()
        s.commit()
        sid = hs.id
    with client.session_transaction() as sess:
        sess["_user_id"] = f"h:{sid}"
        sess["_fresh"] = True
    client.session_id = sid
    client.holder_id = world.holder.id
    return client
