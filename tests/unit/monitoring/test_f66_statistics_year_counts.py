"""F-66 at scale: the transactions-by-year chart reads the last reconciliation run's counts
(`transaction_year_count`) plus what changed since by index — and always says what one
aggregate over every transaction would: before any run, after a full and an incremental run,
after commits and cancellations since (of transactions committed before or after the run)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.db import now_utc
from portal.domain import reconciliation as rec
from portal.domain import statistics
from portal.domain.transactions import cancel_transaction, cancellation_code_of
from portal.models import Country, Transaction
from portal.models.monitoring import TransactionYearCount
from tests.support.factory import commit, issue, travel
from tests.support.monitoring import ALL

LAST_YEAR = now_utc().replace(microsecond=0) - dt.timedelta(days=366)


def _check(world) -> list:
    """The chart of both territories equals the live aggregate; returns the EU's."""
    out = []
    for cc in ("FR", "CH"):
        territory = world.session.get(Country, cc).territory_id
        live = statistics._live_by_year(world.session, territory)
        assert statistics.transactions_by_year(world.session, territory) == live
        out.append(live)
    return out[0]


def _cancel(world, txn_id: int, cc: str) -> None:
    txn = world.session.get(Transaction, txn_id)
    cancel_transaction(
        world.session, txn.id, world.officer(cc), cancellation_code_of(txn), "Wrong voucher"
    )
    world.session.commit()


def test_f66_year_counts_stay_exact_across_runs_commits_and_cancellations(world):
    carnet = issue(world, items=20, countries=("DE", "FR", "NO"))
    out = travel(world, carnet, "CH", "DE", items=ALL)
    commit(world, out, "validation", "ch", now=LAST_YEAR)
    commit(world, out, "export", "ch", now=LAST_YEAR + dt.timedelta(hours=1))
    old_import = commit(world, out, "import", "fr", now=LAST_YEAR + dt.timedelta(hours=2))
    assert _check(world) == [(str(LAST_YEAR.year), 1)]  # no run yet: the live aggregate

    rec.run(world.session, full=True)
    world.session.commit()
    stored = {
        (r.territory_id, r.year): r.committed
        for r in world.session.scalars(select(TransactionYearCount))
    }
    assert sum(stored.values()) == 3
    _check(world)

    back = travel(world, carnet, "DE", "CH", items=ALL)
    reexport = commit(world, back, "reexport", "fr")  # committed after the run
    _check(world)
    _cancel(world, reexport.transaction_id, "fr")  # committed and cancelled after
    _cancel(world, old_import.transaction_id, "fr")  # committed before, cancelled after
    assert _check(world) == []

    rec.run(world.session)  # incremental: only the touched (territory, year) pairs
    world.session.commit()
    assert _check(world) == []
    commit(world, out, "import", "fr")
    assert _check(world) == [(str(now_utc().year), 1)]
