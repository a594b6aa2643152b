"""R-07 and the clock: a commit belongs to the office's calendar day (the office's time zone,
else its administration's), not to the UTC date — at 23:59:59 office time on a carnet's last
valid day it is accepted; one second past midnight office time it is refused as expired,
although the UTC date is still the last valid day (Zurich is UTC+1/+2)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import DomainError
from portal.domain.rules import Place
from portal.models import Carnet, Transaction
from tests.support.factory import commit, issue, travel

ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")


def _utc(day: dt.date, at: dt.time) -> dt.datetime:
    """`at` on `day` in Zurich, as the naive UTC datetime the engine uses."""
    local = dt.datetime.combine(day, at, tzinfo=ZURICH)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _last_valid_day_is(world, carnet, day: dt.date):
    world.session.execute(
        Carnet.__table__.update().where(Carnet.id == carnet.id).values(valid_until=day)
    )
    world.session.commit()
    world.session.refresh(carnet)


def test_r07_commit_at_23_59_59_office_time_on_the_last_valid_day_is_accepted(world):
    assert world.officer("ch").office.timezone == "Europe/Zurich"
    day = now_utc().date()
    carnet = issue(world, issue_date=day - dt.timedelta(days=10))
    t = travel(world, carnet, "CH", "FR")
    _last_valid_day_is(world, carnet, day)
    result = commit(world, t, "validation", "ch", now=_utc(day, dt.time(23, 59, 59)))
    txn = world.session.get(Transaction, result.transaction_id)
    assert txn.committed_at == _utc(day, dt.time(23, 59, 59))


def test_r07_commit_one_second_past_midnight_office_time_is_refused_as_expired(world):
    day = now_utc().date()
    carnet = issue(world, issue_date=day - dt.timedelta(days=10))
    t = travel(world, carnet, "CH", "FR")
    _last_valid_day_is(world, carnet, day)
    next_midnight = _utc(day + dt.timedelta(days=1), dt.time(0, 0, 1))
    assert next_midnight.date() == day  # still the last valid day in UTC
    with pytest.raises(DomainError, match="This carnet expired on"):
        commit(world, t, "validation", "ch", now=next_midnight)
    world.session.rollback()
    assert (
        world.session.scalars(select(Transaction).where(Transaction.carnet_id == carnet.id)).all()
        == []
    )


@pytest.mark.parametrize(
    "zone,utc,day",
    [
        ("Europe/Zurich", dt.datetime(2031, 3, 30, 0, 59, 59), dt.date(2031, 3, 30)),  # 01:59:59
        ("Europe/Zurich", dt.datetime(2031, 3, 30, 1, 0, 0), dt.date(2031, 3, 30)),  # 03:00 CEST
        ("Europe/Zurich", dt.datetime(2031, 10, 25, 21, 59, 59), dt.date(2031, 10, 25)),
        ("Europe/Zurich", dt.datetime(2031, 10, 25, 22, 0, 0), dt.date(2031, 10, 26)),
        ("Europe/Zurich", dt.datetime(2031, 12, 31, 22, 59, 59), dt.date(2031, 12, 31)),
        ("Europe/Zurich", dt.datetime(2031, 12, 31, 23, 0, 0), dt.date(2032, 1, 1)),
        ("America/New_York", dt.datetime(2031, 3, 9, 4, 59, 59), dt.date(2031, 3, 8)),
        ("Not/A_Zone", dt.datetime(2031, 3, 9, 23, 30), dt.date(2031, 3, 9)),  # UTC
    ],
)
def test_r07_the_office_day_across_dst_changes_and_new_year(zone, utc, day):
    place = Place(1, 1, "Office", 1, "CH", "CH", "Switzerland", 1, "Officer", timezone=zone)
    assert place.local_date(utc) == day
