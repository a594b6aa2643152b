"""F-63: the Logs search box — a carnet number given whole (any case) or the eATA ID on both
tabs, and a customs reference number given whole on the Transactions tab; a piece of a number
finds nothing (what the indexes can serve)."""

from __future__ import annotations

import datetime as dt

from portal.domain import logs
from portal.models import Country
from tests.support.factory import commit, issue, travel
from tests.support.monitoring import ALL


def test_f63_search_by_whole_number_eata_id_and_whole_reference(world):
    carnet = issue(world, items=20, countries=("DE", "FR", "NO"))
    other = issue(world, items=2, countries=("DE", "FR", "NO"))
    for c, ref in ((carnet, "FR-REF-77"), (other, "FR-REF-78")):
        t = travel(world, c, "CH", "DE", items=ALL if c is carnet else None)
        commit(world, t, "validation", "ch")
        commit(world, t, "export", "ch")
        commit(world, t, "import", "fr", fields={"reference": ref})
    eu = world.session.get(Country, "FR").territory_id
    today = dt.date.today()

    def carnets(q):
        f = logs.parse_filters({"q": q})
        return [c.id for c, _ in world.session.execute(logs.carnets_query(eu, f, today))]

    def txns(q):
        f = logs.parse_filters({"q": q})
        return {t.carnet_id for t in world.session.scalars(logs.transactions_query(eu, f))}

    number = carnet.carnet_number
    assert carnets(number) == [carnet.id]
    assert carnets(number.lower()) == [carnet.id]
    assert carnets(str(carnet.eata_id)) == [carnet.id]
    assert txns(number) == {carnet.id}
    assert txns("FR-REF-77") == {carnet.id}
    # refused: a piece of the number, a partial reference, a wildcard
    assert carnets(number[:-1]) == [] and carnets(number[2:]) == []
    assert txns(number[:-1]) == set()
    assert txns("REF-77") == set()
    assert carnets("%") == [] and txns("_") == set()
