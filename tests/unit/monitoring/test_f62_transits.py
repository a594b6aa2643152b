"""F-62: transit states around the due date (time travel), live and in the daily snapshot."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.db import now_utc
from portal.domain import reconciliation as rec
from portal.domain import transits
from portal.models import Country
from portal.models.monitoring import TransitState
from tests.support.factory import commit, issue, travel


def _opened(world, days: int = 5):
    carnet = issue(world, items=2, countries=("FR", "NO"))
    t = travel(world, carnet, "CH", "NO", transits=["FR"])
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    due = now_utc().date() + dt.timedelta(days=days)
    commit(world, t, "transit_open", "fr", fields={"final_date": due.isoformat()})
    return carnet, t, due


def _states(world, today):
    eu = world.session.get(Country, "FR").territory_id
    return [r.state for r in transits.transits(world.session, eu, today).items]


def test_f62_open_transit_is_in_progress_until_its_due_date_then_expired(world):
    carnet, t, due = _opened(world)
    assert _states(world, due) == ["in_progress"]
    assert _states(world, due + dt.timedelta(days=1)) == ["expired"]


def test_f62_transit_closed_in_due_time_is_green_whatever_the_date(world):
    carnet, t, due = _opened(world)
    commit(world, t, "transit_close", "be")
    assert _states(world, due) == ["closed"]
    assert _states(world, due + dt.timedelta(days=400)) == ["closed"]
    eu = world.session.get(Country, "FR").territory_id
    view = transits.transits(world.session, eu, due).items[0]
    assert view.closed is not None and view.close_goods == "1-2"


def test_f62_transit_closed_after_its_due_date_is_red(world):
    carnet, t, due = _opened(world, days=1)
    commit(
        world,
        t,
        "transit_close",
        "be",
        now=dt.datetime.combine(due + dt.timedelta(days=3), dt.time(12)),
    )
    assert _states(world, due + dt.timedelta(days=5)) == ["expired"]


def test_f62_other_territory_does_not_list_the_transit(world):
    _opened(world)
    ch = world.session.get(Country, "CH").territory_id
    assert transits.transits(world.session, ch, now_utc().date()).total == 0


def test_f62_daily_job_snapshot_follows_the_due_date(world):
    carnet, t, due = _opened(world)
    s = world.session
    rec.run(s, today=due)
    s.commit()
    assert s.scalar(select(TransitState.state)) == "in_progress"
    # the next day's incremental run picks open transits up again, though nothing changed
    rec.run(s, today=due + dt.timedelta(days=1))
    s.commit()
    assert s.scalar(select(TransitState.state)) == "expired"
    commit(world, t, "transit_close", "be")
    rec.run(s, today=due + dt.timedelta(days=2))
    s.commit()
    # the close is dated today, before the due date: closed in due time
    assert s.scalar(select(TransitState.state)) == "closed"


def _filtered(world, state, today):
    eu = world.session.get(Country, "FR").territory_id
    return [v.opened.id for v in transits.transits(world.session, eu, today, state=state).items]


def test_f62_state_filter_after_a_run_sees_what_changed_since(world):
    """A filtered page computes the live state of the transits the last run's snapshot says
    can be in that state, plus those of carnets touched since: a close committed or cancelled
    after the run, and a transit opened after it, are filtered right."""
    from portal.domain.transactions import cancel_transaction, cancellation_code_of
    from portal.models import Transaction

    carnet, t, due = _opened(world)
    rec.run(world.session, full=True)
    world.session.commit()
    open_id = (
        transits.transits(world.session, world.session.get(Country, "FR").territory_id, due)
        .items[0]
        .opened.id
    )
    assert _filtered(world, "in_progress", due) == [open_id]
    assert _filtered(world, "closed", due) == []
    close = commit(world, t, "transit_close", "be")  # after the run
    assert _filtered(world, "in_progress", due) == []
    assert _filtered(world, "closed", due) == [open_id]
    rec.run(world.session)  # the snapshot now says closed
    world.session.commit()
    txn = world.session.get(Transaction, close.transaction_id)
    cancel_transaction(
        world.session, txn.id, world.officer("be"), cancellation_code_of(txn), "Wrong carnet"
    )
    world.session.commit()
    assert _filtered(world, "closed", due) == []
    assert _filtered(world, "in_progress", due) == [open_id]
    assert _filtered(world, "expired", due + dt.timedelta(days=1)) == [open_id]
    # a transit opened after the last run
    _, _, due2 = _opened(world, days=9)
    assert len(_filtered(world, "in_progress", due)) == 2


def test_f62_the_list_stays_live_while_its_statement_is_built_once_a_day(world):
    """The statement of a territory's transits is built once per day (it is costly to build);
    what it reads is not kept: a transit opened or closed since shows on the next read."""
    today = now_utc().date()
    _, t, _ = _opened(world)
    assert _states(world, today) == ["in_progress"]
    commit(world, t, "transit_close", "be")
    assert _states(world, today) == ["closed"]
    _opened(world)
    assert _states(world, today) == ["in_progress", "closed"]  # newest first
