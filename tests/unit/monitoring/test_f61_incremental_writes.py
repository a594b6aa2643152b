"""F-61: an incremental run writes only what changed. A carnet in the scope whose statuses and
transits stand as they were keeps its rows untouched (their computed_at stays the run that
last changed them); changed rows are updated; a territory or a transit no longer committed
(cancelled) loses its row; the statistics' status counts follow. And the archive still knows a
carnet is reconciled by the runs, not by the rows' computed_at (R-04 facts kept)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.domain import reconciliation as rec
from portal.domain.transactions import cancel_transaction, cancellation_code_of
from portal.models import Country, Transaction
from portal.models.monitoring import Reconciliation, ReconciliationStatusCount, TransitState
from tests.support.factory import commit, issue, travel
from tests.support.monitoring import ALL, outbound

T1 = dt.datetime(2026, 1, 5, 5, 0)
T2 = dt.datetime(2026, 1, 6, 5, 0)
T3 = dt.datetime(2026, 1, 7, 5, 0)


def _rows(world, carnet) -> dict[str, tuple[str, int, dt.datetime]]:
    # one country per territory: CH for Switzerland, FR for the EU's
    names = {world.session.get(Country, code).territory_id: code for code in ("CH", "FR")}
    rows = world.session.scalars(
        select(Reconciliation).where(Reconciliation.carnet_id == carnet.id)
    )
    return {names[r.territory_id]: (r.status, r.unbalanced, r.computed_at) for r in rows}


def _counts(world) -> dict[tuple[int, str], int]:
    rows = world.session.scalars(select(ReconciliationStatusCount))
    return {(r.territory_id, r.status): r.carnets for r in rows if r.carnets}


def _recounted(world) -> dict[tuple[int, str], int]:
    from sqlalchemy import func

    q = select(Reconciliation.territory_id, Reconciliation.status, func.count()).group_by(
        Reconciliation.territory_id, Reconciliation.status
    )
    return {(t, s): n for t, s, n in world.session.execute(q)}


def _run(world, now, today, full=False):
    result = rec.run(world.session, full=full, now=now, today=today)
    world.session.commit()
    world.session.expire_all()
    return result


def test_f61_incremental_run_leaves_unchanged_rows_and_updates_changed_ones(world):
    carnet = outbound(world, ALL)
    valid = carnet.valid_until - dt.timedelta(days=2)
    _run(world, T1, valid, full=True)
    before = _rows(world, carnet)
    assert {k: v[0] for k, v in before.items()} == {"CH": "na", "FR": "na"}
    assert {v[2] for v in before.values()} == {T1}
    # touched (a re-exportation committed since), its statuses stay N/A: read, not rewritten
    commit(world, travel(world, carnet, "DE", "CH", items=ALL), "reexport", "fr")
    second = _run(world, T2 + dt.timedelta(minutes=1), valid)
    assert second.carnets == 1
    assert _rows(world, carnet) == before
    # expired since: every status changes and is written with this run's time
    after = carnet.valid_until + dt.timedelta(days=1)
    third = _run(world, T3, after)
    assert third.carnets == 1 and third.to_check == 1
    rows = _rows(world, carnet)
    assert rows["CH"] == ("to_check", 20, T3) and rows["FR"] == ("terminated", 0, T3)
    assert _counts(world) == _recounted(world)


def test_f61_incremental_run_deletes_the_status_of_a_territory_no_longer_transacted(world):
    s = world.session
    carnet = issue(world, items=2, countries=("FR", "NO"))
    t = travel(world, carnet, "CH", "FR")
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    imported = commit(world, t, "import", "fr")
    valid = carnet.valid_until - dt.timedelta(days=2)
    _run(world, T1, valid, full=True)
    assert set(_rows(world, carnet)) == {"CH", "FR"}
    txn = s.get(Transaction, imported.transaction_id)
    cancel_transaction(s, txn.id, world.officer("fr"), cancellation_code_of(txn), "Wrong carnet")
    s.commit()
    _run(world, T2, valid)
    assert set(_rows(world, carnet)) == {"CH"}
    assert _counts(world) == _recounted(world)


def test_f61_incremental_run_deletes_the_transit_state_of_a_cancelled_opening(world):
    s = world.session
    carnet = issue(world, items=2, countries=("FR", "NO"))
    t = travel(world, carnet, "CH", "NO", transits=["FR"])
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    due = carnet.valid_until - dt.timedelta(days=10)
    opened = commit(world, t, "transit_open", "fr", fields={"final_date": due.isoformat()})
    today = due - dt.timedelta(days=1)
    _run(world, T1, today, full=True)
    states = s.scalars(select(TransitState).where(TransitState.carnet_id == carnet.id)).all()
    assert [(x.state, x.computed_at) for x in states] == [("in_progress", T1)]
    # the next day's run: the transit is still in progress, its row is left as it was
    _run(world, T2, today)
    states = s.scalars(select(TransitState).where(TransitState.carnet_id == carnet.id)).all()
    assert [(x.state, x.computed_at) for x in states] == [("in_progress", T1)]
    # past its due date: expired, written by this run
    _run(world, T3, due + dt.timedelta(days=1))
    states = s.scalars(select(TransitState).where(TransitState.carnet_id == carnet.id)).all()
    assert [(x.state, x.computed_at) for x in states] == [("expired", T3)]
    txn = s.get(Transaction, opened.transaction_id)
    cancel_transaction(s, txn.id, world.officer("fr"), cancellation_code_of(txn), "Wrong carnet")
    s.commit()
    _run(world, T3 + dt.timedelta(hours=1), due + dt.timedelta(days=1))
    assert s.scalars(select(TransitState).where(TransitState.carnet_id == carnet.id)).all() == []
