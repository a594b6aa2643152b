"""Builders of the pre-declaration tests: the holder's form, a voucher ready to pre-declare."""

from __future__ import annotations

import datetime as dt

from portal.domain import predeclarations as pd
from tests.support.factory import commit, issue, travel, voucher


def form(office, **kw) -> pd.PredeclarationInput:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    values = dict(
        office_id=office.id,
        expected_date=tomorrow.isoformat(),
        expected_time="10:30",
        carriage="hand_carry",
        transport_mode="air",
        option="automatic",
        shipment_number="AWB 123-456",
        transport_id="LX1234",
        representative={"name": "Jean Dupont", "eori": "FR123", "city": "Lyon", "country": "FR"},
    )
    values.update(kw)
    return pd.PredeclarationInput(**values)


def ready_import(world, *, exported: bool = True):
    """A carnet validated and exported from CH, and its travel's importation voucher into FR."""
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    if exported:
        commit(world, t, "validation", "ch")
        commit(world, t, "export", "ch")
    return carnet, t, voucher(world, t, "import")


def send(world, v, **kw):
    p = pd.send(world.session, world.holder, v.id, form(world.officer("fr").office, **kw))
    world.session.commit()
    return p
