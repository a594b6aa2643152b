"""Demo data for the embedded default: three administrations (BE, FR in the EU territory; CH),
regions, offices and one account per role. Idempotent: running it twice changes nothing."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain.passwords import hash_secret
from portal.models import Account, Country, CustomsAdministration, Office, Region

DEMO_PASSWORD = "eata-demo-passw0rd"

ADMINISTRATIONS = [
    ("be", "Belgian Customs", "BE", "Europe/Brussels", [
        ("Antwerp", [
            ("Antwerp Port", "Noorderlaan 100", "2030", "Antwerpen", "51.2602", "4.3997", {"is_sea_port": True}),
            ("Antwerp Administrative Centre", "Italiëlei 4", "2000", "Antwerpen", "51.2194", "4.4125", {"is_administrative": True}),
        ]),
        ("Brussels", [
            ("Brussels Airport", "Brucargo 720", "1931", "Zaventem", "50.9010", "4.4844", {"is_airport": True}),
        ]),
    ]),
    ("fr", "French Customs", "FR", "Europe/Paris", [
        ("Île-de-France", [
            ("Paris-Charles de Gaulle", "Zone de fret 3", "95700", "Roissy-en-France", "49.0097", "2.5479", {"is_airport": True}),
        ]),
        ("Normandie", [
            ("Le Havre Port", "Quai de l'Europe", "76600", "Le Havre", "49.4844", "0.1120", {"is_sea_port": True}),
        ]),
    ]),
    ("ch", "Swiss Customs", "CH", "Europe/Zurich", [
        ("Genève", [
            ("Genève Aéroport", "Route de l'Aéroport 21", "1215", "Genève", "46.2381", "6.1090", {"is_airport": True}),
        ]),
        ("Basel", [
            ("Basel Weil am Rhein", "Autobahn A5", "4057", "Basel", "47.5890", "7.6000", {"is_land_port": True}),
        ]),
    ]),
]

ROLES = [("admin", "Admin"), ("regional_manager", "Regional Manager"),
         ("controller", "Controller"), ("officer", "Officer")]


def demo_email(code: str, role: str) -> str:
    return f"{role.replace('_', '-')}@customs-{code}.demo"


def load_demo_data(session: Session) -> list[tuple[str, str, str]]:
    """Create the demo administrations; returns (host code, email, role) of every demo login."""
    logins = []
    password_hash = hash_secret(DEMO_PASSWORD)
    for code, name, country_code, tz, regions in ADMINISTRATIONS:
        country = session.get(Country, country_code)
        admin = session.scalar(select(CustomsAdministration).where(CustomsAdministration.code == code))
        if admin is None:
            admin = CustomsAdministration(code=code, name=name, country_code=country_code,
                                          territory_id=country.territory_id, timezone=tz)
            session.add(admin)
            session.flush()
        first_region = first_office = None
        for region_name, offices in regions:
            region = session.scalar(select(Region).where(Region.customs_id == admin.id,
                                                         Region.name == region_name))
            if region is None:
                region = Region(customs_id=admin.id, name=region_name, territory_id=admin.territory_id)
                session.add(region)
                session.flush()
            first_region = first_region or region
            for oname, street, pc, city, lat, lon, flags in offices:
                office = session.scalar(select(Office).where(Office.customs_id == admin.id,
                                                             Office.name == oname))
                if office is None:
                    office = Office(customs_id=admin.id, region_id=region.id, name=oname, street=street,
                                    postal_code=pc, city=city, country_code=country_code,
                                    latitude=Decimal(lat), longitude=Decimal(lon),
                                    opening_hours="Mon–Fri 08:00–18:00", timezone=tz,
                                    email=f"{oname.split()[0].lower()}@customs-{code}.demo", **flags)
                    session.add(office)
                    session.flush()
                first_office = first_office or office
        for role, label in ROLES:
            email = demo_email(code, role)
            account = session.scalar(select(Account).where(Account.customs_id == admin.id,
                                                           Account.email == email))
            if account is None:
                session.add(Account(
                    customs_id=admin.id, email=email, full_name=f"{label} {country_code}", role=role,
                    region_id=None if role == "admin" else first_region.id,
                    office_id=first_office.id, password_hash=password_hash,
                ))
            logins.append((code, email, role))
    session.flush()
    return logins
