"""Wallet fixtures: registered holders (confirmed), carnets with their download PIN, and
wallet clients logged in and unlocked through a real HolderSession."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import api_clients
from portal.domain import carnets as carnet_domain
from portal.domain import wallet as wallet_domain
from portal.domain.api_clients import OPERATOR
from portal.domain.demo import load_demo_data
from portal.domain.transactions import Officer
from portal.extensions import db as database
from portal.models import Account, CustomsAdministration, Holder, Office
from tests.api.conftest import carnet_body

PASSWORD = "correct horse battery staple 42"
PIN = "482915"


@dataclass
class Issued:
    carnet_id: int
    eata_id: int
    number: str
    pin: str


@pytest.fixture
def world(app, session):
    load_demo_data(session)
    nga = api_clients.create_nga(session, "CH", f"ATA Suisse {secrets.token_hex(3)}")
    session.commit()
    return {"session": session, "nga": nga}


@pytest.fixture
def make_holder(app, session):
    def make(given="Anne", surname="Peeters", email=None, country="CH", confirm=True) -> Holder:
        email = email or f"{given.lower()}-{secrets.token_hex(3)}@example.test"
        holder, token = wallet_domain.register(
            session,
            {
                "kind": "private",
                "given_names": given,
                "surname": surname,
                "email": email,
                "street": "Bahnhofstrasse 1",
                "postal_code": "8001",
                "city": "Zürich",
                "country_code": country,
                "phone": "+41 79 123 45 67",
            },
            PASSWORD,
            PIN,
            accepted_terms=True,
            confirm_url="http://wallet.eata.test/my/confirm/{token}",
        )
        if confirm:
            wallet_domain.confirm_email(session, token)
        session.commit()
        return holder

    return make


@pytest.fixture
def issue(world):
    def make(
        items: int = 3,
        pieces: int = 2,
        sets: dict | None = None,
        countries=("BE", "FR", "DE", "NO"),
    ) -> Issued:
        session = world["session"]
        today = now_utc().date()
        body = carnet_body(
            items=items,
            countries=list(countries),
            departure_country="CH",
            carnet_number=f"CH{secrets.token_hex(5).upper()}",
            currency="CHF",
            valid_until=(today + dt.timedelta(days=300)).isoformat(),
            sets=sets or {"export_reimport": 2, "import_reexport": 4, "transit": 1},
        )
        for item in body["items"]:
            item["pieces"] = pieces
        carnet, pin = carnet_domain.issue_carnet(session, world["nga"], body, OPERATOR, today=today)
        session.commit()
        return Issued(carnet.id, carnet.eata_id, carnet.carnet_number, pin)

    return make


@pytest.fixture
def wallet_client(app, client_for):
    """wallet_client(holder) → a client on wallet.eata.test, logged in and unlocked."""

    def make(holder: Holder, unlocked: bool = True):
        client = client_for("wallet")
        with database.new_session() as s:
            hs = wallet_domain.open_holder_session(s, s.get(Holder, holder.id), mfa_pending=False)
            if unlocked:
                hs.unlocked_at = now_utc()
            s.commit()
            sid = hs.id
        with client.session_transaction() as sess:
            sess["_user_id"] = f"h:{sid}"
            sess["_fresh"] = True
        client.session_id = sid
        return client

    return make


@pytest.fixture
def officer(world):
    def make(code: str = "ch") -> Officer:
        session = world["session"]
        admin = session.scalar(
            select(CustomsAdministration).where(CustomsAdministration.code == code)
        )
        office = session.scalar(
            select(Office).where(Office.customs_id == admin.id).order_by(Office.id)
        )
        account = session.scalar(
            select(Account).where(Account.customs_id == admin.id, Account.role == "officer")
        )
        return Officer(account=account, office=office)

    return make


def csrf_form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}
