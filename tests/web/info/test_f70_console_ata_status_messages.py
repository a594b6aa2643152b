"""F-70 (issue 17): the console's ATA statuses name the country typed — never the first
country of its customs territory —, say the new state when it changed, quote dates as the
table shows them, put a refusal next to the Country field, and pick the date in a date
input."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import select

from portal.domain.rules import add_months
from portal.i18n import fmt_date
from portal.models import Country, CustomsTerritory


def _form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}


def _field_error(response, field: str) -> str | None:
    found = re.search(
        rf'<small id="{field}-error" class="field-error">(.*?)</small>', response.text, re.S
    )
    return html.unescape(found.group(1)).strip() if found else None


def _eu(session) -> list[Country]:
    eu = session.scalar(select(CustomsTerritory).where(CustomsTerritory.code == "EU"))
    return list(
        session.scalars(
            select(Country)
            .where(Country.territory_id == eu.id, Country.ata_status != "none")
            .order_by(Country.code)
        )
    )


def test_f70_console_names_the_typed_country_next_to_the_country_field(
    app, operator_client, session, ata_statuses
):
    eu = _eu(session)
    assert eu[0].code != "FR"  # France is not the territory's first country
    since = dt.date.today() - dt.timedelta(days=10)
    for c in eu:
        c.ata_status, c.digital_from, c.provisional_from = "digital", since, None
    session.commit()
    c = operator_client
    day = (dt.date.today() + dt.timedelta(days=200)).isoformat()
    r = c.post(
        "/console/ata-status",
        data=_form(c, {"country": "fr", "action": "announce", "digital_from": day}),
    )
    assert r.status_code == 422
    with app.test_request_context():
        since_text = fmt_date(since)
    assert _field_error(r, "country") == (
        f"France has been a digital country since {since_text}: its status can no longer change."
    )
    assert eu[0].name not in _field_error(r, "country")


def test_f70_console_says_the_new_state_with_the_tables_date(
    app, operator_client, session, ata_statuses
):
    country = session.scalar(select(Country).where(Country.ata_status == "paper"))
    day = add_months(dt.date.today(), 4)
    c = operator_client
    page = c.get("/console/ata-status").text
    assert re.search(
        r'<input[^>]*id="digital_from"[^>]*type="date"|type="date"[^>]*id="digital_from"', page
    )
    announced = c.post(
        "/console/ata-status",
        data=_form(c, {"country": country.code, "action": "announce",
                       "digital_from": day.isoformat(), "reason": "notified"}),
    )  # fmt: skip
    assert announced.status_code == 303
    with app.test_request_context():
        day_text = fmt_date(day)
    shown = html.unescape(c.get("/console/ata-status").text)
    assert f"{country.name}: digital from {day_text} (provisional)" in shown
    confirmed = c.post(
        "/console/ata-status",
        data=_form(c, {"country": country.code, "action": "confirm",
                       "digital_from": day.isoformat(), "reason": "confirmed"}),
    )  # fmt: skip
    assert confirmed.status_code == 303
    shown = html.unescape(c.get("/console/ata-status").text)
    assert f"{country.name}: digital from {day_text} (confirmed)" in shown
    assert f"<td>{day_text}</td>" in shown  # the table's format
    # withdrawing without a reason: refused next to the reason, nothing changed
    refused = c.post(
        "/console/ata-status",
        data=_form(c, {"country": country.code, "action": "withdraw", "digital_from": ""}),
    )
    assert refused.status_code == 422
    assert _field_error(refused, "reason") == "Give the reason the digital date is withdrawn."
    session.expire_all()
    assert session.get(Country, country.code).digital_from == day
    unknown = c.post(
        "/console/ata-status",
        data=_form(c, {"country": "QQ", "action": "withdraw", "reason": "x"}),
    )
    assert unknown.status_code == 422
    assert _field_error(unknown, "country").startswith("QQ is not a country code")
