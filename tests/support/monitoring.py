"""Builders of the reconciliation and monitoring tests: the Customs User Guide's reconciliation
example (a Swiss carnet of 20 items sent to the EU), time travel past the carnet's validity, and
a reconciled "To check" carnet."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from portal.domain import reconciliation as rec
from portal.models import Carnet
from tests.support.factory import commit, issue, travel

ALL = {n: 1 for n in range(1, 21)}  # every item of a 20-item carnet, one piece each


def item_range(lo: int, hi: int) -> dict:
    """Items lo … hi (inclusive), one piece each."""
    return {n: 1 for n in range(lo, hi + 1)}


def outbound(world, items: dict):
    """The guide's outbound journey: a CH carnet of 20 items validated and exported in
    Switzerland, then imported in the EU (by the FR administration; the guide says Berlin)."""
    carnet = issue(world, items=20, countries=("DE", "FR", "NO"))
    t = travel(world, carnet, "CH", "DE", items=items)
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    commit(world, t, "import", "fr")
    return carnet


def expire(world, carnet, days_ago: int = 1) -> None:
    """Time travel: the carnet expired `days_ago` days ago (its transactions stay dated now)."""
    from portal.db import now_utc

    world.session.execute(
        update(Carnet)
        .where(Carnet.id == carnet.id)
        .values(valid_until=now_utc().date() - dt.timedelta(days=days_ago))
    )
    world.session.commit()
    world.session.refresh(carnet)


def reconcile(world) -> None:
    rec.run(world.session, full=True)
    world.session.commit()


def to_check_carnet(world):
    """Guide case 1 (re-exportation missing), expired yesterday and reconciled."""
    carnet = outbound(world, ALL)
    expire(world, carnet)
    reconcile(world)
    return carnet
