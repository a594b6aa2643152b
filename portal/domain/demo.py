"""Demo data for the embedded default: three administrations (BE, FR in the EU territory; CH),
regions, offices and one account per role. Idempotent: running it twice changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import predeclarations, travels
from portal.domain import wallet as wallet_domain
from portal.domain.api_clients import OPERATOR, create_issuing_association, create_nga
from portal.domain.carnets import issue_carnet
from portal.domain.passwords import hash_secret
from portal.models import (
    NGA,
    Account,
    Carnet,
    ChamberStaff,
    Country,
    CustomsAdministration,
    Holder,
    IssuingAssociation,
    Office,
    Region,
)

DEMO_PASSWORD = "eata-demo-passw0rd"

ADMINISTRATIONS = [
    (
        "be",
        "Belgian Customs",
        "BE",
        "Europe/Brussels",
        [
            (
                "Antwerp",
                [
                    (
                        "Antwerp Port",
                        "Noorderlaan 100",
                        "2030",
                        "Antwerpen",
                        "51.2602",
                        "4.3997",
                        {"is_sea_port": True},
                    ),
                    (
                        "Antwerp Administrative Centre",
                        "Italiëlei 4",
                        "2000",
                        "Antwerpen",
                        "51.2194",
                        "4.4125",
                        {"is_administrative": True},
                    ),
                ],
            ),
            (
                "Brussels",
                [
                    (
                        "Brussels Airport",
                        "Brucargo 720",
                        "1931",
                        "Zaventem",
                        "50.9010",
                        "4.4844",
                        {"is_airport": True},
                    ),
                ],
            ),
        ],
    ),
    (
        "fr",
        "French Customs",
        "FR",
        "Europe/Paris",
        [
            (
                "Île-de-France",
                [
                    (
                        "Paris-Charles de Gaulle",
                        "Zone de fret 3",
                        "95700",
                        "Roissy-en-France",
                        "49.0097",
                        "2.5479",
                        {"is_airport": True},
                    ),
                ],
            ),
            (
                "Normandie",
                [
                    (
                        "Le Havre Port",
                        "Quai de l'Europe",
                        "76600",
                        "Le Havre",
                        "49.4844",
                        "0.1120",
                        {"is_sea_port": True},
                    ),
                ],
            ),
        ],
    ),
    (
        "ch",
        "Swiss Customs",
        "CH",
        "Europe/Zurich",
        [
            (
                "Genève",
                [
                    (
                        "Genève Aéroport",
                        "Route de l'Aéroport 21",
                        "1215",
                        "Genève",
                        "46.2381",
                        "6.1090",
                        {"is_airport": True},
                    ),
                ],
            ),
            (
                "Basel",
                [
                    (
                        "Basel Weil am Rhein",
                        "Autobahn A5",
                        "4057",
                        "Basel",
                        "47.5890",
                        "7.6000",
                        {"is_land_port": True},
                    ),
                ],
            ),
        ],
    ),
]

ROLES = [
    ("admin", "Admin"),
    ("regional_manager", "Regional Manager"),
    ("controller", "Controller"),
    ("officer", "Officer"),
]


def demo_email(code: str, role: str) -> str:
    return f"{role.replace('_', '-')}@customs-{code}.demo"


def load_demo_data(session: Session) -> list[tuple[str, str, str]]:
    """Create the demo administrations; returns (host code, email, role) of every demo login."""
    logins = []
    password_hash = hash_secret(DEMO_PASSWORD)
    for code, name, country_code, tz, regions in ADMINISTRATIONS:
        country = session.get_one(Country, country_code)
        admin = session.scalar(
            select(CustomsAdministration).where(CustomsAdministration.code == code)
        )
        if admin is None:
            admin = CustomsAdministration(
                code=code,
                name=name,
                country_code=country_code,
                territory_id=country.territory_id,
                timezone=tz,
            )
            session.add(admin)
            session.flush()
        first_region: Region | None = None
        first_office: Office | None = None
        for region_name, offices in regions:
            region = session.scalar(
                select(Region).where(Region.customs_id == admin.id, Region.name == region_name)
            )
            if region is None:
                region = Region(
                    customs_id=admin.id, name=region_name, territory_id=admin.territory_id
                )
                session.add(region)
                session.flush()
            first_region = first_region or region
            for oname, street, pc, city, lat, lon, flags in offices:
                office = session.scalar(
                    select(Office).where(Office.customs_id == admin.id, Office.name == oname)
                )
                if office is None:
                    office = Office(
                        customs_id=admin.id,
                        region_id=region.id,
                        name=oname,
                        street=street,
                        postal_code=pc,
                        city=city,
                        country_code=country_code,
                        latitude=Decimal(lat),
                        longitude=Decimal(lon),
                        opening_hours="Mon–Fri 08:00–18:00",
                        timezone=tz,
                        email=f"{oname.split()[0].lower()}@customs-{code}.demo",
                        **flags,
                    )
                    session.add(office)
                    session.flush()
                first_office = first_office or office
        if first_region is None or first_office is None:
            raise ValueError(f"the demo administration {code} needs a region with an office")
        for role, label in ROLES:
            email = demo_email(code, role)
            account = session.scalar(
                select(Account).where(Account.customs_id == admin.id, Account.email == email)
            )
            if account is None:
                session.add(
                    Account(
                        customs_id=admin.id,
                        email=email,
                        full_name=f"{label} {country_code}",
                        role=role,
                        region_id=None if role == "admin" else first_region.id,
                        office_id=first_office.id,
                        password_hash=password_hash,
                    )
                )
            logins.append((code, email, role))
    session.flush()
    return logins


DEMO_NGA = "FEB ATA (demo)"
DEMO_CARNET_NUMBER = "BEDEMO0000001"


def load_demo_carnet(session: Session) -> tuple[int, str, str | None]:
    """A Belgian NGA and one digital carnet (departure BE, Box P FR, CH, NO) to try the wallet and
    the customs desk with. Returns (eATA ID, carnet number, PIN); the PIN only on the run that
    issued the carnet, since only its hash is kept."""
    existing = session.scalar(select(Carnet).where(Carnet.carnet_number == DEMO_CARNET_NUMBER))
    if existing is not None:
        return existing.eata_id, existing.carnet_number, None
    nga = session.scalar(select(NGA).where(NGA.name == DEMO_NGA))
    if nga is None:
        nga = create_nga(session, "BE", DEMO_NGA, city="Bruxelles")
        create_issuing_association(
            session, nga, "Chambre de commerce de Bruxelles (demo)", city="Bruxelles"
        )
        session.flush()
    today = now_utc().date()
    body = {
        "carnet_number": DEMO_CARNET_NUMBER,
        "carnet_type": "ATA",
        "format": "digital",
        "issue_date": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=300)).isoformat(),
        "intended_use": "professional_equipment",
        "currency": "EUR",
        "holder": {
            "name": "Studio Lumière SPRL",
            "address": {
                "street": "Rue Haute 12",
                "postal_code": "1000",
                "city": "Bruxelles",
                "country": "BE",
            },
        },
        "representatives": [{"name": "Anne Peeters", "id_number": "BE-99-1234"}],
        "items": [
            {
                "item_no": i,
                "pieces": pieces,
                "description": desc,
                "origin_country": "DE",
                "value": value,
                "quantity": weight,
                "unit": "kg",
                "marks": f"SLS-{100 + i}",
            }
            for i, (pieces, desc, value, weight) in enumerate(
                [
                    (1, "Camera body Arri Alexa Mini LF SN 21034", 48000, 2.6),
                    (4, "Prime lenses Zeiss Supreme SN 5512-5515", 36000, 6.4),
                    (2, "Tripod Sachtler Flowtech 100", 2400, 8.0),
                    (6, "V-mount batteries 150 Wh", 1800, 7.2),
                    (1, "Field monitor SmallHD Cine 7 SN 7781", 2900, 1.1),
                ],
                start=1,
            )
        ],
        "countries": ["FR", "CH", "NO"],
        "sets": {"export_reimport": 2, "import_reexport": 4, "transit": 1},
    }
    carnet, pin = issue_carnet(session, nga, body, OPERATOR, today=today)
    session.flush()
    return carnet.eata_id, carnet.carnet_number, pin


DEMO_HOLDER_EMAIL = "holder@wallet.demo"
DEMO_HOLDER_PIN = "482915"


def load_demo_predeclaration(session: Session) -> str | None:
    """A demo wallet holder with the demo carnet, a travel Belgium → Switzerland and a pending
    pre-declaration of its validation at the first Belgian office (F-50): the customs list
    (F-51) of the Belgian officer shows it. Returns the holder's email on the run that made
    them (None when they exist already). Call after load_demo_data and load_demo_carnet."""
    if session.scalar(select(Holder).where(Holder.email == DEMO_HOLDER_EMAIL)) is not None:
        return None
    carnet = session.scalar(select(Carnet).where(Carnet.carnet_number == DEMO_CARNET_NUMBER))
    be = session.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))
    if be is None:
        return None
    officer = session.scalar(
        select(Account).where(
            Account.customs_id == be.id, Account.email == demo_email("be", "officer")
        )
    )
    if carnet is None or officer is None:
        return None
    holder, token = wallet_domain.register(
        session,
        {
            "kind": "private",
            "given_names": "Anne",
            "surname": "Peeters",
            "email": DEMO_HOLDER_EMAIL,
            "street": "Rue Haute 12",
            "postal_code": "1000",
            "city": "Bruxelles",
            "country_code": "BE",
            "phone": "+32 2 123 45 67",
        },
        DEMO_PASSWORD,
        DEMO_HOLDER_PIN,
        accepted_terms=True,
        confirm_url="http://wallet.invalid/my/confirm/{token}",
    )
    wallet_domain.confirm_email(session, token)
    travels.add_to_wallet(session, holder, carnet)
    travels.accept_general_list(session, holder, carnet, holder.legal_name)
    travel = travels.prepare_travel(
        session,
        holder,
        carnet,
        travels.TravelInput(
            departure_country="BE",
            destination_country="CH",
            transport_mode="air",
            items={1: 1, 2: 4},
            signed_name=holder.legal_name,
            nickname="Geneva shoot (demo)",
        ),
    )
    session.flush()
    validation = next(v for v in travel.vouchers if v.kind == "validation")
    predeclarations.send(
        session,
        holder,
        validation.id,
        predeclarations.PredeclarationInput(
            office_id=officer.office_id,
            expected_date=(now_utc().date() + dt.timedelta(days=1)).isoformat(),
            expected_time="09:30",
            carriage="hand_carry",
            transport_mode="air",
            option="automatic",
            shipment_number="",
            transport_id="SN 2705",
        ),
    )
    session.flush()
    return holder.email


DEMO_CHAMBER_EMAIL = "staff@chamber.demo"
DEMO_ASSOCIATION = "Chambre de commerce de Bruxelles (demo)"


def load_demo_chamber(session: Session) -> str | None:
    """A staff admin of the demo issuing association on chamber.<domain> (password
    DEMO_PASSWORD, TOTP enrolled at the first login), whose association issued the demo
    carnet. Returns the staff email (None without the demo association). Call after
    load_demo_carnet."""
    association = session.scalar(
        select(IssuingAssociation).where(IssuingAssociation.name == DEMO_ASSOCIATION)
    )
    if association is None:
        return None
    carnet = session.scalar(select(Carnet).where(Carnet.carnet_number == DEMO_CARNET_NUMBER))
    if carnet is not None and carnet.issuing_association_id is None:
        carnet.issuing_association_id = association.id
    if session.scalar(select(ChamberStaff).where(ChamberStaff.email == DEMO_CHAMBER_EMAIL)):
        return DEMO_CHAMBER_EMAIL
    session.add(
        ChamberStaff(
            association_id=association.id,
            email=DEMO_CHAMBER_EMAIL,
            full_name="Chloé Chambre",
            staff_role="admin",
            password_hash=hash_secret(DEMO_PASSWORD),
            invited_by="demo",
            failed_logins=0,
            active=True,
        )
    )
    session.flush()
    return DEMO_CHAMBER_EMAIL
