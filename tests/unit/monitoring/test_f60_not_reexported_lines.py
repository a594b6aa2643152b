"""F-60 with F-41's goods not re-exported (home use): a re-exportation's `not_reexported` item
lines regularise the importation's obligation in reconciliation, as a re-importation's
not-re-imported lines do — what was written as free text before was invisible to it."""

from __future__ import annotations

import datetime as dt

from portal.domain import reconciliation as rec
from portal.models import Country
from tests.support.factory import commit, travel
from tests.support.monitoring import ALL, item_range, outbound


def _fr(world, carnet):
    today = carnet.valid_until + dt.timedelta(days=1)
    rec.run(world.session, full=True, today=today)
    world.session.commit()
    territory = world.session.get(Country, "FR").territory_id
    missing = sorted(
        (ln.item_no, ln.missing) for ln in rec.lines_for(world.session, carnet.id, territory)
    )
    return rec.status_for(world.session, carnet, territory, today), missing


def test_f60_goods_not_reexported_lines_terminate_the_importation(world):
    carnet = outbound(world, ALL)
    back = travel(world, carnet, "DE", "CH", items=item_range(1, 10))
    commit(world, back, "reexport", "fr", fields={"not_reexported": item_range(11, 20)})
    assert _fr(world, carnet) == ("terminated", [])


def test_f60_without_them_the_goods_left_behind_are_to_check(world):
    carnet = outbound(world, ALL)
    back = travel(world, carnet, "DE", "CH", items=item_range(1, 10))
    commit(world, back, "reexport", "fr", fields={"not_reexported": item_range(11, 15)})
    assert _fr(world, carnet) == ("to_check", [(n, 1) for n in range(16, 21)])
