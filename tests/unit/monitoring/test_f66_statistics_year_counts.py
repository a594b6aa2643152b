"""F-66 at scale: the charts read the last reconciliation run's counts — the transactions-by-year
chart reads the last reconciliation run's counts
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
from portal.models.monitoring import (
    CarnetCountryCount,
    ReconciliationStatusCount,
    TransactionYearCount,
)
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


def _check_countries_and_claims(world, today: dt.date) -> None:
    """Issuing countries and potential claims of both territories equal the live aggregates."""
    for cc in ("FR", "CH"):
        territory = world.session.get(Country, cc).territory_id
        assert statistics.issuing_countries(world.session, territory) == statistics._live_countries(
            world.session, territory
        )
        assert statistics.potential_claims(
            world.session, territory, today
        ) == statistics._live_claims(world.session, territory, today)


def _stored(world, model) -> int:
    return sum(r.carnets for r in world.session.scalars(select(model)))


def _two_carnets(world):
    """One carnet that expires within a month (imported into the EU, never re-exported: To
    check once expired) and one valid for 300 days (still in CH)."""
    short = issue(world, items=20, valid_days=30)
    trip = travel(world, short, "CH", "DE", items=ALL)
    for kind, cc in (("validation", "ch"), ("export", "ch"), ("import", "fr")):
        commit(world, trip, kind, cc)
    long = issue(world, items=20)
    trip = travel(world, long, "CH", "DE", items=ALL)
    commit(world, trip, "validation", "ch")
    commit(world, trip, "export", "ch")
    return trip


def test_f66_countries_and_claims_read_the_runs_counts_and_stay_exact(world):
    later = now_utc().date() + dt.timedelta(days=60)  # the first carnet has expired
    trip = _two_carnets(world)
    _check_countries_and_claims(world, later)  # no run yet: the live aggregates

    rec.run(world.session, full=True, today=later)
    world.session.commit()
    # the run's counts stand COUNT_LAG before its start: nothing entered before, all "since"
    assert _stored(world, CarnetCountryCount) == 0
    assert _stored(world, ReconciliationStatusCount) == 3  # CH: 2 carnets, EU: 1
    eu = world.session.get(Country, "FR").territory_id
    to_check = rec.STATUS_LABELS["to_check"]
    assert dict(statistics.potential_claims(world.session, eu, later))[to_check] == 1
    _check_countries_and_claims(world, later)

    # the valid carnet enters the EU after the run: counted by the page's "since"
    imported = commit(world, trip, "import", "fr")
    _check_countries_and_claims(world, later)
    _cancel(world, imported.transaction_id, "fr")  # the carnet did enter: still counted
    _check_countries_and_claims(world, later)

    # a later incremental run takes the entries into its counts (no longer the page's "since")
    rec.run(world.session, today=later, now=now_utc() + 2 * rec.COUNT_LAG)
    world.session.commit()
    assert _stored(world, CarnetCountryCount) == 4  # the cancelled entry still entered
    assert _stored(world, ReconciliationStatusCount) == 3  # but is no obligation in the EU
    _check_countries_and_claims(world, later)
    assert statistics.issuing_countries(world.session, eu) == [("CH", 2)]
    assert dict(statistics.potential_claims(world.session, eu, later))[to_check] == 1


def test_f66_claims_before_the_runs_day_are_counted_live(world):
    """A page dated before the last run's day cannot use the run's statuses (a carnet valid
    on the page's day shows N/A there): it counts them live."""
    _two_carnets(world)
    rec.run(world.session, full=True, today=now_utc().date() + dt.timedelta(days=60))
    world.session.commit()
    eu = world.session.get(Country, "FR").territory_id
    today = now_utc().date()
    claims = dict(statistics.potential_claims(world.session, eu, today))
    assert claims[rec.STATUS_LABELS["na"]] == 1 and claims[rec.STATUS_LABELS["to_check"]] == 0
    _check_countries_and_claims(world, today)
