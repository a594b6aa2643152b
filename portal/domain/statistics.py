"""Statistics (F-66) of one customs territory: transactions by year, carnet issuing countries
(the NGA's country) and potential claims (reconciliation statuses), and the geometry of
server-rendered SVG bar charts.

At scale none aggregates on a page view: each reads the counts the last reconciliation run
wrote (as of its `counted_until`) and adds what changed since by index; before any run (or
when the page's day is before the run's) the same figures come from one aggregate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import Session

from portal.domain import archive
from portal.domain.reconciliation import (
    STATUS_LABELS,
    counted_until,
    entered_by_country,
    last_run,
    year_of,
)
from portal.models import NGA, Cancellation, Carnet, Transaction
from portal.models.monitoring import (
    CarnetCountryCount,
    CarnetTerritory,
    Reconciliation,
    ReconciliationStatusCount,
    TransactionYearCount,
)


@dataclass
class Bar:
    label: str
    value: int
    width: float  # percentage of the widest bar
    y: int


def bars(pairs: list[tuple[str, int]], step: int = 28) -> list[Bar]:
    top = max((v for _, v in pairs), default=0) or 1
    return [
        Bar(str(k), int(v), round(100.0 * v / top, 1), i * step) for i, (k, v) in enumerate(pairs)
    ]


def transactions_by_year(session: Session, territory_id: int) -> list[tuple[str, int]]:
    """Committed transactions of the territory by year, exact at any moment: the last run's
    counts plus the transactions committed since, less those committed before it and
    cancelled since — both read by index. Before any run: one aggregate."""
    last = last_run(session)
    if last is None:
        return _live_by_year(session, territory_id)
    at = counted_until(last)
    counts: dict[int, int] = dict(
        session.execute(
            select(TransactionYearCount.year, TransactionYearCount.committed).where(
                TransactionYearCount.territory_id == territory_id
            )
        )
        .tuples()
        .all()
    )
    year = year_of(Transaction.committed_at)
    since = session.execute(
        select(year, func.count())
        .where(
            Transaction.territory_id == territory_id,
            Transaction.committed_at >= at,
            Transaction.state == "committed",
        )
        .group_by(year)
    ).all()
    gone = session.execute(
        select(year, func.count())
        .join(Cancellation, Cancellation.transaction_id == Transaction.id)
        .where(
            Cancellation.at >= at,
            Transaction.territory_id == territory_id,
            Transaction.committed_at < at,
        )
        .group_by(year)
    ).all()
    for y, n in archive.archived_by_year(session, territory_id).items():
        counts[y] = counts.get(y, 0) + n  # archived carnets' (portal/domain/archive.py)
    for y, n in since:
        counts[int(y)] = counts.get(int(y), 0) + n
    for y, n in gone:
        counts[int(y)] = counts.get(int(y), 0) - n
    return [(str(y), n) for y, n in sorted(counts.items()) if n > 0]


def _live_by_year(session: Session, territory_id: int) -> list[tuple[str, int]]:
    year = year_of(Transaction.committed_at)
    rows = session.execute(
        select(year, func.count())
        .where(Transaction.territory_id == territory_id, Transaction.state == "committed")
        .group_by(year)
        .order_by(year)
    ).all()
    counts = archive.archived_by_year(session, territory_id)
    for y, n in rows:
        counts[int(y)] = counts.get(int(y), 0) + n
    return [(str(y), n) for y, n in sorted(counts.items()) if n > 0]


def issuing_countries(session: Session, territory_id: int) -> list[tuple[str, int]]:
    """Carnets that entered the territory by issuing country, most first: the last run's
    counts plus the carnets that entered since (the entered_at index)."""
    last = last_run(session)
    if last is None:
        return _live_countries(session, territory_id)
    at = counted_until(last)
    counts: dict[str, int] = dict(
        session.execute(
            select(CarnetCountryCount.country_code, CarnetCountryCount.carnets).where(
                CarnetCountryCount.territory_id == territory_id
            )
        )
        .tuples()
        .all()
    )
    for _t, country, n in session.execute(
        entered_by_country(territory_id).where(CarnetTerritory.entered_at >= at)
    ):
        counts[country] = counts.get(country, 0) + n
    return sorted(((c, n) for c, n in counts.items() if n > 0), key=lambda p: (-p[1], p[0]))


def _live_countries(session: Session, territory_id: int) -> list[tuple[str, int]]:
    """Before any run: counted from the facts, live or archived (portal/domain/archive.py)."""
    entered = union_all(
        *(
            select(facts.carnet_id).where(facts.territory_id == territory_id)
            for facts in (archive.LIVE.facts, archive.ARCHIVE.facts)
        )
    ).subquery()
    rows = session.execute(
        select(NGA.country_code, func.count(Carnet.id))
        .join(NGA, NGA.id == Carnet.nga_id)
        .join(entered, entered.c.carnet_id == Carnet.id)
        .group_by(NGA.country_code)
        .order_by(func.count(Carnet.id).desc(), NGA.country_code)
    ).all()
    return [(c, n) for c, n in rows]


def potential_claims(session: Session, territory_id: int, today: dt.date) -> list[tuple[str, int]]:
    """The territory's reconciliation statuses as a controller sees them on `today` (N/A while
    the carnet is valid). Only a run writes them, and it writes N/A for a carnet valid on
    its day — and a carnet's validity never grows — so from the run's day on, the run's
    counts (`reconciliation_status_count`) are the figures."""
    last = last_run(session)
    if last is None or today < last.today:
        return _live_claims(session, territory_id, today)
    rows: dict[str, int] = dict(
        session.execute(
            select(ReconciliationStatusCount.status, ReconciliationStatusCount.carnets).where(
                ReconciliationStatusCount.territory_id == territory_id
            )
        )
        .tuples()
        .all()
    )
    return [(STATUS_LABELS[s], rows.get(s, 0)) for s in ("to_check", "terminated", "na")]


def _live_claims(session: Session, territory_id: int, today: dt.date) -> list[tuple[str, int]]:
    status = case((Carnet.valid_until >= today, literal("na")), else_=Reconciliation.status)
    rows: dict[str, int] = dict(
        session.execute(
            select(status, func.count())
            .join(Carnet, Carnet.id == Reconciliation.carnet_id)
            .where(Reconciliation.territory_id == territory_id)
            .group_by(status)
        )
        .tuples()
        .all()
    )
    return [(STATUS_LABELS[s], rows.get(s, 0)) for s in ("to_check", "terminated", "na")]
