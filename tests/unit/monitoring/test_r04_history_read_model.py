"""R-04 (F-65) read model `carnet_territory` (portal/domain/history.py): per carnet and customs
territory, when the carnet entered it and its final re-importation — kept right by the engine's
commit and cancellation in the same database transaction, and `rebuild` gives the same rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from portal.db import now_utc
from portal.domain import history, logs
from portal.domain.transactions import cancel_transaction, cancellation_code_of
from portal.models import Country, Transaction
from portal.models.monitoring import CarnetTerritory
from tests.support.factory import commit, issue, travel
from tests.support.monitoring import ALL

T0 = now_utc().replace(microsecond=0, second=0) + dt.timedelta(minutes=1)


def _facts(world, carnet_id=None) -> dict:
    q = select(CarnetTerritory)
    if carnet_id is not None:
        q = q.where(CarnetTerritory.carnet_id == carnet_id)
    return {
        (r.carnet_id, r.territory_id): (r.entered_at, r.final_reimport_id)
        for r in world.session.scalars(q)
    }


def _territory(world, country: str) -> int:
    return world.session.get(Country, country).territory_id


def _round_trip(world, t0=T0):
    """A CH carnet validated and exported in CH, imported and re-exported in the EU (FR),
    re-imported in CH, an hour apart each."""
    carnet = issue(world, items=20, countries=("DE", "FR", "NO"))
    out = travel(world, carnet, "CH", "DE", items=ALL)
    ids = {}
    for n, (kind, cc) in enumerate([("validation", "ch"), ("export", "ch"), ("import", "fr")]):
        ids[kind] = commit(world, out, kind, cc, now=t0 + dt.timedelta(hours=n)).transaction_id
    back = travel(world, carnet, "DE", "CH", items=ALL)
    ids["reexport"] = commit(
        world, back, "reexport", "fr", now=t0 + dt.timedelta(hours=3)
    ).transaction_id
    return carnet, back, ids


def test_r04_commit_writes_entry_and_final_reimport_in_the_same_transaction(world):
    ch, eu = _territory(world, "CH"), _territory(world, "FR")
    carnet, t, ids = _round_trip(world)
    assert _facts(world, carnet.id) == {
        (carnet.id, ch): (T0, None),
        (carnet.id, eu): (T0 + dt.timedelta(hours=2), None),
    }
    reimport = commit(world, t, "reimport", "ch", now=T0 + dt.timedelta(hours=5)).transaction_id
    assert _facts(world, carnet.id) == {
        (carnet.id, ch): (T0, reimport),
        (carnet.id, eu): (T0 + dt.timedelta(hours=2), reimport),
    }
    # the EU sees its own, what came before the carnet entered, and the final re-importation
    seen = logs.visible_transaction_ids(world.session, eu, [*ids.values(), reimport])
    assert seen == sorted([*ids.values(), reimport])


def test_r04_a_rolled_back_commit_leaves_no_fact(world):
    carnet = issue(world, items=2)
    t = travel(world, carnet, "CH", "DE")
    from portal.domain.transactions import commit_voucher
    from tests.support.factory import voucher

    commit_voucher(
        world.session,
        voucher(world, t, "validation").id,
        world.officer("ch"),
        fields={"goods_examined": False},
    )
    assert _facts(world, carnet.id)  # written with the commit's rows …
    world.session.rollback()
    assert _facts(world, carnet.id) == {}  # … and gone with them


def test_r04_cancelling_the_final_reimport_hides_it_and_a_new_one_replaces_it(world):
    ch, eu = _territory(world, "CH"), _territory(world, "FR")
    carnet, t, ids = _round_trip(world)
    reimport = commit(world, t, "reimport", "ch", now=T0 + dt.timedelta(hours=5))
    txn = world.session.get(Transaction, reimport.transaction_id)
    cancel_transaction(
        world.session, txn.id, world.officer("ch"), cancellation_code_of(txn), "Wrong voucher"
    )
    world.session.commit()
    facts = _facts(world, carnet.id)
    assert facts[(carnet.id, ch)] == (T0, None)
    assert facts[(carnet.id, eu)] == (T0 + dt.timedelta(hours=2), None)
    # the EU no longer sees the cancelled re-importation of another territory
    assert logs.visible_transaction_ids(world.session, eu, [txn.id]) == []
    again = commit(world, t, "reimport", "ch", now=T0 + dt.timedelta(hours=6)).transaction_id
    assert _facts(world, carnet.id)[(carnet.id, eu)] == (T0 + dt.timedelta(hours=2), again)
    assert logs.visible_transaction_ids(world.session, eu, [txn.id, again]) == [again]


def test_r04_cancelled_entry_still_counts_and_reentry_keeps_the_first_entry(world):
    eu = _territory(world, "FR")
    carnet, t, ids = _round_trip(world)
    commit(world, t, "reimport", "ch", now=T0 + dt.timedelta(hours=5))
    # a second journey to the EU a month later: the carnet entered the EU at the first import
    later = T0 + dt.timedelta(days=30)
    t2 = travel(world, carnet, "CH", "DE", items=ALL)
    commit(world, t2, "export", "ch", now=later)
    second = commit(world, t2, "import", "fr", now=later + dt.timedelta(hours=1))
    assert _facts(world, carnet.id)[(carnet.id, eu)][0] == T0 + dt.timedelta(hours=2)
    # cancelling the second import changes nothing of the entry
    txn = world.session.get(Transaction, second.transaction_id)
    cancel_transaction(
        world.session, txn.id, world.officer("fr"), cancellation_code_of(txn), "Typed twice"
    )
    world.session.commit()
    assert _facts(world, carnet.id)[(carnet.id, eu)][0] == T0 + dt.timedelta(hours=2)


def test_r04_a_territory_the_carnet_never_entered_has_no_row_and_sees_nothing(world):
    carnet, t, ids = _round_trip(world)
    no = _territory(world, "NO")
    assert (carnet.id, no) not in _facts(world, carnet.id)
    assert logs.visible_transaction_ids(world.session, no, list(ids.values())) == []


def test_r04_rebuild_gives_the_rows_the_engine_maintained(world, app):
    carnet, t, ids = _round_trip(world)
    reimport = commit(world, t, "reimport", "ch", now=T0 + dt.timedelta(hours=5))
    txn = world.session.get(Transaction, reimport.transaction_id)
    cancel_transaction(
        world.session, txn.id, world.officer("ch"), cancellation_code_of(txn), "Wrong voucher"
    )
    commit(world, t, "reimport", "ch", now=T0 + dt.timedelta(hours=6))
    other, _, _ = _round_trip(world, T0 + dt.timedelta(days=3))
    world.session.commit()
    maintained = _facts(world)
    assert len(maintained) == 4
    # damage: a row lost, a row wrong — rebuild puts back exactly what the engine wrote
    world.session.execute(delete(CarnetTerritory).where(CarnetTerritory.carnet_id == other.id))
    world.session.execute(
        update(CarnetTerritory)
        .where(CarnetTerritory.carnet_id == carnet.id)
        .values(final_reimport_id=None)
    )
    world.session.commit()
    assert _facts(world) != maintained
    assert history.rebuild(world.session) == 4
    world.session.commit()
    assert _facts(world) == maintained
    # the same through the operator's command
    world.session.execute(delete(CarnetTerritory))
    world.session.commit()
    result = app.test_cli_runner().invoke(args=["monitoring", "rebuild-history"])
    assert result.exit_code == 0, result.output
    assert "4 rows" in result.output
    world.session.expire_all()
    assert _facts(world) == maintained
