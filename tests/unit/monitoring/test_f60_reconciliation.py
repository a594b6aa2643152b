"""F-60/F-61: the four "Example cases of reconciliation" of the Customs User Guide (replayed
as transaction sequences by tests/unit/engine/test_f60_guide_reconciliation_cases.py) give
exactly the guide's statuses; split shipments; incremental runs; N/A while valid."""

from __future__ import annotations

import datetime as dt

from portal.domain import reconciliation as rec
from portal.models import Country
from tests.support.factory import commit, travel
from tests.support.monitoring import ALL, item_range, outbound


def _after_expiry(carnet) -> dt.date:
    return carnet.valid_until + dt.timedelta(days=1)


def _territory(world, code: str) -> int:
    return world.session.get(Country, code).territory_id


def _reconcile(world, carnet, full=True):
    result = rec.run(world.session, full=full, today=_after_expiry(carnet))
    world.session.commit()
    return result


def _statuses(world, carnet):
    s = world.session
    today = _after_expiry(carnet)
    return (
        rec.status_for(s, carnet, _territory(world, "CH"), today),
        rec.status_for(s, carnet, _territory(world, "FR"), today),
    )


def _missing(world, carnet, code):
    return sorted(
        (ln.item_no, ln.obligation, ln.missing)
        for ln in rec.lines_for(world.session, carnet.id, _territory(world, code))
    )


def test_f60_full_shipment_reexportation_missing_is_to_check(world):
    carnet = outbound(world, ALL)
    _reconcile(world, carnet)
    assert _statuses(world, carnet) == ("to_check", "to_check")
    assert _missing(world, carnet, "FR") == [(n, "reexport", 1) for n in range(1, 21)]
    assert _missing(world, carnet, "CH") == [(n, "reimport", 1) for n in range(1, 21)]
    assert rec.overall_status(world.session, carnet, _after_expiry(carnet)) == "to_check"


def test_f60_split_shipment_partial_reexportation_is_to_check_on_items_11_to_20(world):
    carnet = outbound(world, ALL)
    back = travel(world, carnet, "DE", "CH", items=item_range(1, 10))
    commit(world, back, "reexport", "fr")
    commit(world, back, "reimport", "ch")
    _reconcile(world, carnet)
    assert _statuses(world, carnet) == ("to_check", "to_check")
    assert _missing(world, carnet, "FR") == [(n, "reexport", 1) for n in range(11, 21)]
    assert _missing(world, carnet, "CH") == [(n, "reimport", 1) for n in range(11, 21)]


def test_f60_split_shipment_terminated(world):
    carnet = outbound(world, ALL)
    first = travel(world, carnet, "DE", "CH", items=item_range(1, 10))
    second = travel(world, carnet, "DE", "CH", items=item_range(11, 20))
    commit(world, first, "reexport", "fr")
    commit(world, second, "reexport", "be")
    commit(world, first, "reimport", "ch")
    commit(world, second, "reimport", "ch")
    _reconcile(world, carnet)
    assert _statuses(world, carnet) == ("terminated", "terminated")
    assert rec.lines_for(world.session, carnet.id) == []


def test_f60_full_shipment_terminated_with_part_of_the_list(world):
    carnet = outbound(world, item_range(7, 10))
    back = travel(world, carnet, "DE", "CH", items=item_range(7, 10))
    commit(world, back, "reexport", "fr")
    commit(world, back, "reimport", "ch")
    _reconcile(world, carnet)
    assert _statuses(world, carnet) == ("terminated", "terminated")


def test_f60_valid_carnet_is_na_and_has_no_lines(world):
    carnet = outbound(world, ALL)
    rec.run(world.session, full=True, today=carnet.valid_until)
    world.session.commit()
    assert (
        rec.status_for(world.session, carnet, _territory(world, "FR"), carnet.valid_until) == "na"
    )
    assert rec.lines_for(world.session, carnet.id) == []


def test_f61_incremental_run_takes_touched_and_newly_expired_carnets_only(world):
    s = world.session
    done = outbound(world, ALL)
    back = travel(world, done, "DE", "CH", items=ALL)
    commit(world, back, "reexport", "fr")
    day = done.valid_until - dt.timedelta(days=2)
    first = rec.run(s, today=day)  # first run: full; everything still valid
    s.commit()
    assert first.kind == "full" and first.carnets >= 1
    assert rec.status_for(s, done, _territory(world, "CH"), day) == "na"
    # nothing touched, nothing expired: an empty scope
    second = rec.run(s, today=day)
    s.commit()
    assert (second.kind, second.carnets) == ("incremental", 0)
    # the re-importation touches the carnet; then it expires
    commit(world, back, "reimport", "ch")
    third = rec.run(s, today=day)
    s.commit()
    assert third.carnets == 1
    after = _after_expiry(done)
    fourth = rec.run(s, today=after)
    s.commit()
    assert fourth.carnets == 1 and fourth.to_check == 0
    assert rec.status_for(s, done, _territory(world, "CH"), after) == "terminated"


def test_f60_cancelled_reimportation_makes_a_terminated_carnet_to_check(world):
    from portal.domain.transactions import cancel_transaction, cancellation_code_of

    carnet = outbound(world, item_range(7, 10))
    back = travel(world, carnet, "DE", "CH", items=item_range(7, 10))
    commit(world, back, "reexport", "fr")
    result = commit(world, back, "reimport", "ch")
    rec.run(world.session, today=carnet.valid_until)
    world.session.commit()
    from portal.models import Transaction

    txn = world.session.get(Transaction, result.transaction_id)
    cancel_transaction(
        world.session, txn.id, world.officer("ch"), cancellation_code_of(txn), "Wrong carnet"
    )
    world.session.commit()
    incremental = _reconcile(world, carnet, full=False)
    assert incremental.kind == "incremental" and incremental.carnets == 1
    assert _statuses(world, carnet) == ("to_check", "terminated")
    assert _missing(world, carnet, "CH") == [(n, "reimport", 1) for n in range(7, 11)]


def test_f60_item_ranges():
    assert rec.item_ranges([1, 2, 3, 5, 7, 8]) == "1-3, 5, 7-8"
    assert rec.item_ranges([]) == ""
