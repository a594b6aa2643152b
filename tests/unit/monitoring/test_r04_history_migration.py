"""R-04 (F-65): the migration that creates the read model applies on a database holding data
of the previous head and fills `carnet_territory` from its transactions — the same rows the
engine writes — and the statistics' `transaction_year_count` as of the last reconciliation run
— the same rows the run writes (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select

from portal.db import now_utc
from portal.domain import reconciliation as rec
from portal.extensions import db
from portal.migrate import alembic_config, upgrade
from portal.models import Transaction
from portal.models.monitoring import CarnetTerritory, TransactionYearCount
from tests.support.factory import commit, issue, travel
from tests.support.monitoring import ALL

REVISION = "0016"


def _facts(session) -> dict:
    return {
        (r.carnet_id, r.territory_id): (r.entered_at, r.final_reimport_id)
        for r in session.scalars(select(CarnetTerritory))
    }


def _year_counts(session) -> dict:
    return {
        (r.territory_id, r.year): r.committed for r in session.scalars(select(TransactionYearCount))
    }


def test_r04_upgrade_from_the_previous_head_fills_the_read_model(world, app):
    from portal.domain.transactions import cancel_transaction, cancellation_code_of

    # data: two carnets to the EU and back, one re-importation cancelled
    for n in range(2):
        carnet = issue(world, items=20, countries=("DE", "FR", "NO"))
        out = travel(world, carnet, "CH", "DE", items=ALL)
        for kind, cc in (("validation", "ch"), ("export", "ch"), ("import", "fr")):
            commit(world, out, kind, cc)
        back = travel(world, carnet, "DE", "CH", items=ALL)
        commit(world, back, "reexport", "fr")
        result = commit(world, back, "reimport", "ch")
        if n == 0:
            txn = world.session.get(Transaction, result.transaction_id)
            cancel_transaction(
                world.session, txn.id, world.officer("ch"), cancellation_code_of(txn), "Wrong"
            )
            world.session.commit()
    # the statistics' year counts are as of the last run (its counted_until: COUNT_LAG before
    # its start, so a run dated later counts the transactions just made)
    rec.run(world.session, full=True, now=now_utc() + 2 * rec.COUNT_LAG)
    world.session.commit()
    counts = _year_counts(world.session)
    assert sum(counts.values()) == 9  # 10 committed, 1 cancelled
    expected = _facts(world.session)
    assert len(expected) == 4 and sum(1 for _, f in expected.values() if f) == 2
    world.session.close()
    db.session.remove()

    url = app.config["DATABASE_URL"]
    cfg = alembic_config(url)
    previous = ScriptDirectory.from_config(cfg).get_revision(REVISION).down_revision
    command.downgrade(cfg, previous)  # the database as the previous head left it, with data
    try:
        assert "carnet_territory" not in inspect(db.engine).get_table_names()
    finally:
        db.engine.dispose()
        upgrade(url)
    with db.new_session() as session:
        assert _facts(session) == expected
        assert _year_counts(session) == counts
        assert session.scalar(select(Transaction.id).limit(1)) is not None
