"""F-60 acceptance cases: the four "Example cases of reconciliation" of the Customs User Guide,
replayed as transaction sequences that the engine must accept (their reconciliation status is
checked in tests/unit/monitoring/test_f60_reconciliation.py). Carnets issued in Switzerland
with 20 items; Germany is in the EU."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import Transaction
from tests.support.factory import commit, travel
from tests.support.monitoring import ALL, item_range, outbound


def _history(world, carnet) -> list[tuple[str, str, str]]:
    rows = world.session.scalars(
        select(Transaction).where(Transaction.carnet_id == carnet.id).order_by(Transaction.id)
    )
    out = []
    for t in rows:
        nos = sorted(i.item_no for i in t.items if i.line == "cleared")
        out.append((t.kind, f"{nos[0]}-{nos[-1]}", t.country_code))
    return out


def _fr_officer_country(world):
    return world.officer("fr").office.country_code


def test_f60_case_full_shipment_reexportation_missing(world):
    carnet = outbound(world, ALL)
    assert _history(world, carnet) == [
        ("validation", "1-20", "CH"),
        ("export", "1-20", "CH"),
        ("import", "1-20", _fr_officer_country(world)),
    ]


def test_f60_case_split_shipment_partial_reexportation(world):
    carnet = outbound(world, ALL)
    back = travel(world, carnet, "DE", "CH", items=item_range(1, 10))
    commit(world, back, "reexport", "fr")
    commit(world, back, "reimport", "ch")
    assert [h[:2] for h in _history(world, carnet)] == [
        ("validation", "1-20"),
        ("export", "1-20"),
        ("import", "1-20"),
        ("reexport", "1-10"),
        ("reimport", "1-10"),
    ]


def test_f60_case_split_shipment_terminated(world):
    carnet = outbound(world, ALL)
    first = travel(world, carnet, "DE", "CH", items=item_range(1, 10))
    second = travel(world, carnet, "DE", "CH", items=item_range(11, 20))
    commit(world, first, "reexport", "fr")
    commit(world, second, "reexport", "be")
    commit(world, first, "reimport", "ch")
    commit(world, second, "reimport", "ch")
    assert [h[:2] for h in _history(world, carnet)] == [
        ("validation", "1-20"),
        ("export", "1-20"),
        ("import", "1-20"),
        ("reexport", "1-10"),
        ("reexport", "11-20"),
        ("reimport", "1-10"),
        ("reimport", "11-20"),
    ]


def test_f60_case_full_shipment_terminated_with_part_of_the_list(world):
    carnet = outbound(world, item_range(7, 10))
    back = travel(world, carnet, "DE", "CH", items=item_range(7, 10))
    commit(world, back, "reexport", "fr")
    commit(world, back, "reimport", "ch")
    assert [h[:2] for h in _history(world, carnet)] == [
        ("validation", "1-20"),
        ("export", "7-10"),
        ("import", "7-10"),
        ("reexport", "7-10"),
        ("reimport", "7-10"),
    ]
