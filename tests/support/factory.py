"""Builders of test data shared by every layer's tests.

`carnet_body()` is a valid NICS carnet (the JSON the issuance API takes). `make_world()` builds
the world the root `world` fixture returns: the demo administrations (BE, FR in the EU; CH) with
their offices and officers, a Swiss NGA and a holder. `issue`, `travel`, `voucher`, `commit` and
`add_administration` build on a world: carnets (in the holder's wallet by default), travels and
committed transactions, through the same domain functions the app uses."""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.db import now_utc
from portal.domain import api_clients, travels
from portal.domain import carnets as carnet_domain
from portal.domain.api_clients import OPERATOR
from portal.domain.demo import load_demo_data
from portal.domain.transactions import Officer, commit_voucher
from portal.models import Account, CustomsAdministration, Holder, Office, Transaction, Voucher

HOLDER_NAME = "Anne Peeters"


def carnet_body(items: int = 3, **overrides) -> dict:
    """A valid NICS carnet body (Belgian, `items` general-list items); keys in `overrides`
    replace the defaults."""
    today = now_utc().date()
    body = {
        # random, not a counter: numbers stay unique whatever imported this module
        "carnet_number": f"BE{today.year}{secrets.token_hex(5).upper()}",
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
                "pieces": 1 + i % 3,
                "description": f"Camera body Arri Alexa SN {1000 + i}",
                "origin_country": "DE",
                "value": 1250.5 + i,
                "quantity": 2.5,
                "unit": "kg",
                "marks": f"ARRI-{1000 + i}",
            }
            for i in range(1, items + 1)
        ],
        "countries": ["FR", "CH", "NO"],
        "sets": {"export_reimport": 1, "import_reexport": 3, "transit": 1},
    }
    body.update(copy.deepcopy(overrides))
    return body


@dataclass
class World:
    session: object
    nga: object
    holder: Holder
    officers: dict = field(default_factory=dict)  # "be" → Officer (first office)
    others: dict = field(default_factory=dict)  # "be" → Officer of another office, same admin

    def officer(self, cc: str) -> Officer:
        return self.officers[cc]


def officer_of(session, code: str, office_index: int = 0) -> Officer:
    """The officer of administration `code`'s office number `office_index` (demo data), loaded
    in `session`."""
    admin = session.scalar(select(CustomsAdministration).where(CustomsAdministration.code == code))
    offices = list(
        session.scalars(select(Office).where(Office.customs_id == admin.id).order_by(Office.id))
    )
    account = session.scalar(
        select(Account).where(Account.customs_id == admin.id, Account.role == "officer")
    )
    return Officer(account=account, office=offices[office_index])


def make_world(session) -> World:
    load_demo_data(session)
    nga = api_clients.create_nga(session, "CH", f"ATA Suisse {secrets.token_hex(3)}")
    holder = Holder(
        kind="private",
        given_names="Anne",
        surname="Peeters",
        email=f"anne-{secrets.token_hex(4)}@example.test",
        country_code="CH",
    )
    session.add(holder)
    session.commit()
    world = World(session=session, nga=nga, holder=holder)
    for cc in ("be", "fr", "ch"):
        world.officers[cc] = officer_of(session, cc, 0)
        world.others[cc] = officer_of(session, cc, 1)
    return world


def issue(world: World, **kw):
    """A carnet issued by the world's NGA (see issue_with_pin for the options)."""
    return issue_with_pin(world, **kw)[0]


def issue_with_pin(
    world: World,
    *,
    items: int = 4,
    pieces: int = 1,
    sets: dict | None = None,
    countries=("BE", "FR", "DE", "NO"),
    departure: str = "CH",
    issue_date: dt.date | None = None,
    valid_days: int = 300,
    original=None,
    in_wallet: bool = True,
) -> tuple:
    """(carnet, download PIN): a Swiss carnet of `items` items of `pieces` pieces each; in the
    world's holder's wallet with the general list signed unless in_wallet=False; a replacement
    of `original` when given."""
    session = world.session
    issue_date = issue_date or now_utc().date()
    body = carnet_body(
        items=items,
        countries=list(countries),
        departure_country=departure,
        carnet_number=f"CH{secrets.token_hex(5).upper()}",
        currency="CHF",
        issue_date=issue_date.isoformat(),
        valid_until=(issue_date + dt.timedelta(days=valid_days)).isoformat(),
        sets=sets or {"export_reimport": 3, "import_reexport": 6, "transit": 2},
    )
    for item in body["items"]:
        item["pieces"] = pieces
    if original is not None:
        carnet, pin = carnet_domain.issue_replacement(
            session, world.nga, original, body, OPERATOR, today=issue_date
        )
    else:
        carnet, pin = carnet_domain.issue_carnet(
            session, world.nga, body, OPERATOR, today=issue_date
        )
    if in_wallet:
        travels.add_to_wallet(session, world.holder, carnet)
        travels.accept_general_list(session, world.holder, carnet, HOLDER_NAME)
    session.commit()
    return carnet, pin


def travel(
    world: World,
    carnet,
    departure: str,
    destination: str,
    *,
    items: dict | None = None,
    transits=(),
    mode: str = "air",
    now: dt.datetime | None = None,
):
    data = travels.TravelInput(
        departure_country=departure,
        destination_country=destination,
        transport_mode=mode,
        items=items if items is not None else {i.item_no: i.pieces for i in carnet.items},
        transit_countries=list(transits),
        signed_name=HOLDER_NAME,
        nickname="trip",
    )
    t = travels.prepare_travel(world.session, world.holder, carnet, data, now=now)
    world.session.commit()
    return t


def voucher(world: World, t, kind: str) -> Voucher:
    world.session.refresh(t)
    return next(v for v in t.vouchers if v.kind == kind and v.state != "void")


def commit(world: World, t, kind: str, cc: str, *, fields: dict | None = None, **kw):
    v = voucher(world, t, kind)
    if kind == "validation" and fields is None:
        fields = {"goods_examined": False}
    result = commit_voucher(world.session, v.id, world.officer(cc), fields=fields, **kw)
    world.session.commit()
    return result


def add_administration(world: World, code: str, country: str) -> Officer:
    """One more customs administration (e.g. Norway) with one office and one officer."""
    from portal.models import Country, Region

    session = world.session
    c = session.get(Country, country)
    admin = CustomsAdministration(
        code=code, name=f"{country} Customs", country_code=country, territory_id=c.territory_id
    )
    session.add(admin)
    session.flush()
    region = Region(customs_id=admin.id, name="Main", territory_id=c.territory_id)
    session.add(region)
    session.flush()
    office = Office(
        customs_id=admin.id, region_id=region.id, name=f"{country} Border", country_code=country
    )
    session.add(office)
    session.flush()
    account = Account(
        customs_id=admin.id,
        email=f"officer@customs-{code}.test",
        full_name=f"Officer {country}",
        role="officer",
        region_id=region.id,
        office_id=office.id,
    )
    session.add(account)
    session.commit()
    world.officers[code] = Officer(account=account, office=office)
    return world.officers[code]


class Kit:
    """The builders above bound to one world (the `kit` fixture): kit.issue(), kit.travel(),
    kit.voucher(), kit.commit(); kit.prepare(kind) for a voucher of any kind ready to commit;
    and what the desk tests read back."""

    def __init__(self, world: World):
        self.world = world

    def issue(self, **kw):
        return issue(self.world, **kw)

    def travel(self, carnet, dep, dest, **kw):
        return travel(self.world, carnet, dep, dest, **kw)

    def voucher(self, t, kind):
        return voucher(self.world, t, kind)

    def commit(self, t, kind, cc, **kw):
        return commit(self.world, t, kind, cc, **kw)

    def prepare(self, kind: str):
        """A voucher of `kind` ready to commit, and the administration whose officer commits it."""
        carnet = self.issue(items=3)
        out = self.travel(carnet, "CH", "FR")
        if kind == "validation":
            return carnet, self.voucher(out, "validation"), "ch"
        self.commit(out, "validation", "ch")
        if kind == "export":
            return carnet, self.voucher(out, "export"), "ch"
        if kind in ("transit_open", "transit_close"):
            carnet = self.issue(items=3)
            t = self.travel(carnet, "CH", "NO", transits=["FR"])
            self.commit(t, "validation", "ch")
            self.commit(t, "export", "ch")
            if kind == "transit_close":
                self.commit(t, "transit_open", "fr")
            return carnet, self.voucher(t, kind), "fr"
        self.commit(out, "export", "ch")
        if kind == "import":
            return carnet, self.voucher(out, "import"), "fr"
        self.commit(out, "import", "fr")
        back = self.travel(carnet, "FR", "CH")
        if kind == "reexport":
            return carnet, self.voucher(back, "reexport"), "fr"
        self.commit(back, "reexport", "fr")
        return carnet, self.voucher(back, "reimport"), "ch"

    def transactions(self, v) -> list:
        """The transactions of voucher `v`, oldest first, read fresh."""
        session = self.world.session
        session.expire_all()
        return list(
            session.scalars(
                select(Transaction).where(Transaction.voucher_id == v.id).order_by(Transaction.id)
            )
        )

    def office(self, cc: str, index: int = 0):
        """The office of the world's officer of `cc` (index 0) or of the other one (1)."""
        return (self.world.officer(cc) if index == 0 else self.world.others[cc]).office
