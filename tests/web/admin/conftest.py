"""Helpers of the administration screen tests: look objects up by name, read field errors."""

from __future__ import annotations

import email
import email.policy
import glob
import html
import os
import re

import pytest
from sqlalchemy import select

from portal.models import Account, CustomsAdministration


@pytest.fixture
def find(demo):
    """find(Region, "be", "Antwerp") → that object, read fresh from the database."""

    def lookup(model, code: str, name: str):
        demo.expire_all()
        column = Account.email if model is Account else model.name
        return demo.scalar(
            select(model)
            .join(CustomsAdministration, model.customs_id == CustomsAdministration.id)
            .where(CustomsAdministration.code == code, column == name)
        )

    return lookup


@pytest.fixture
def count(demo):
    """count(Model, code) → how many rows of that administration."""
    from sqlalchemy import func

    def run(model, code: str, **where) -> int:
        demo.expire_all()
        stmt = (
            select(func.count())
            .select_from(model)
            .join(CustomsAdministration, model.customs_id == CustomsAdministration.id)
            .where(CustomsAdministration.code == code)
        )
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return demo.scalar(stmt)

    return run


def field_error(response, field: str) -> str | None:
    """The error text shown next to `field` (the <small id="<field>-error">), or None."""
    m = re.search(
        rf'<small id="{re.escape(field)}-error" class="field-error">(.*?)</small>',
        response.get_data(as_text=True),
        re.S,
    )
    return html.unescape(m.group(1)).strip() if m else None


def outbox(app) -> list:
    folder = app.config["MAIL_OUTBOX_DIR"]
    messages = []
    for path in sorted(glob.glob(os.path.join(folder, "*.eml")), key=os.path.getmtime):
        with open(path, "rb") as fh:
            messages.append(email.message_from_binary_file(fh, policy=email.policy.default))
    return messages


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture
def office_form():
    """A complete, valid office form for region `region_id`."""

    def make(region_id: int, **overrides) -> dict:
        data = {
            "region_id": str(region_id),
            "name": "Liège Airport",
            "code": "BE-LGG",
            "street": "Rue de l'Aéroport 1",
            "postal_code": "4460",
            "city": "Grâce-Hollogne",
            "country_code": "BE",
            "email": "lgg@customs-be.demo",
            "phone": "+32 4 234 84 11",
            "opening_hours": "Mon–Sun 00:00–24:00",
            "latitude": "50.637400",
            "longitude": "5.443200",
            "timezone": "Europe/Brussels",
            "is_airport": "y",
            "active": "y",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return make
