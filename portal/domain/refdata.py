"""Reference data (F-03, F-04): countries and currencies from pycountry, customs territories
(the EU's 27 members form `EU`, every other country its own), and each country's ATA status."""

from __future__ import annotations

import csv
import datetime as dt
import os

import pycountry
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Country, Currency, CustomsTerritory

EU_MEMBERS = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
ATA_STATUS_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "ata_status.csv")


def territory_code_for(country_code: str) -> str:
    return "EU" if country_code in EU_MEMBERS else country_code


def load_reference_data(session: Session, status_file: str = ATA_STATUS_FILE) -> dict[str, int]:
    """Insert or update countries, currencies, territories and ATA statuses. Idempotent."""
    territories = {t.code: t for t in session.scalars(select(CustomsTerritory))}
    if "EU" not in territories:
        territories["EU"] = CustomsTerritory(code="EU", name="European Union")
        session.add(territories["EU"])
    countries = {c.code: c for c in session.scalars(select(Country))}
    for pc in pycountry.countries:
        code = pc.alpha_2
        name = getattr(pc, "common_name", None) or pc.name
        tcode = territory_code_for(code)
        if tcode not in territories:
            territories[tcode] = CustomsTerritory(code=tcode, name=name)
            session.add(territories[tcode])
        country = countries.get(code)
        if country is None:
            country = Country(code=code, name=name)
            session.add(country)
            countries[code] = country
        country.name = name
        country.territory = territories[tcode]
    currencies = {c.code: c for c in session.scalars(select(Currency))}
    for pc in pycountry.currencies:
        if pc.alpha_3 not in currencies:
            session.add(Currency(code=pc.alpha_3, name=pc.name))
        else:
            currencies[pc.alpha_3].name = pc.name
    statuses = load_ata_statuses(session, countries, status_file)
    session.flush()
    return {"countries": len(countries), "territories": len(territories), "ata_countries": statuses}


def load_ata_statuses(session: Session, countries: dict[str, Country], path: str) -> int:
    count = 0
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh) if r and not r[0].startswith("#")]
    for code, status, digital_from, notified_on in rows:
        country = countries[code.strip()]
        country.ata_status = status.strip()
        country.digital_from = dt.date.fromisoformat(digital_from) if digital_from else None
        country.status_notified_on = dt.date.fromisoformat(notified_on) if notified_on else None
        count += 1
    return count
