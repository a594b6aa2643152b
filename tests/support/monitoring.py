"""Builders shared by the monitoring tests: guide-case carnets and time travel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from portal.domain import reconciliation as rec
from portal.models import Carnet
from tests.support.factory import commit, issue, travel  # noqa: F401
from tests.unit.engine.test_engine_reconciliation_cases import ALL, _items, _outbound  # noqa: F401


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
    carnet = _outbound(world, ALL)
    expire(world, carnet)
    reconcile(world)
    return carnet
