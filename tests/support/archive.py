"""Builders of the archive tests (portal/domain/archive.py): a closed carnet — the guide's
round trip CH → EU → CH with a cancelled importation — moved years into the past and
reconciled, and where each of its rows lives."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text, update

from portal.db import now_utc
from portal.domain import archive
from portal.domain.transactions import cancel_transaction, cancellation_code_of
from portal.models import Cancellation, Carnet, Transaction, TransactionItem
from portal.models.archive import (
    CancellationArchive,
    CarnetTerritoryArchive,
    TransactionArchive,
    TransactionItemArchive,
)
from portal.models.monitoring import CarnetTerritory
from tests.support.factory import commit, issue, travel
from tests.support.monitoring import ALL, reconcile

YEARS = dt.timedelta(days=4 * 365)  # how far back the closed carnet's life is moved
REMARK = "Seal number checked twice"
REASON = "Scanned the wrong voucher"


def round_trip(world, *, number_suffix: str = ""):
    """A CH carnet of 20 items: validated and exported in CH, imported in FR (cancelled once
    with a reason, then committed again with internal remarks), re-exported from BE and
    re-imported in CH. Returns (carnet, {kind: transaction id}, cancelled import id)."""
    carnet = issue(world, items=20, countries=("DE", "FR", "NO"))
    out = travel(world, carnet, "CH", "DE", items=ALL)
    ids = {}
    for kind, cc in (("validation", "ch"), ("export", "ch")):
        ids[kind] = commit(world, out, kind, cc).transaction_id
    first = world.session.get(Transaction, commit(world, out, "import", "fr").transaction_id)
    cancel_transaction(
        world.session, first.id, world.officer("fr"), cancellation_code_of(first), REASON
    )
    world.session.commit()
    ids["import"] = commit(
        world, out, "import", "fr", fields={"remarks": REMARK, "reference": "FR-77"}
    ).transaction_id
    back = travel(world, carnet, "DE", "CH", items=ALL)
    ids["reexport"] = commit(world, back, "reexport", "be").transaction_id
    ids["reimport"] = commit(world, back, "reimport", "ch").transaction_id
    return carnet, ids, first.id


def age(world, carnet, by: dt.timedelta = YEARS, expired_days_ago: int = 3 * 365 + 200) -> None:
    """Time travel: the carnet's transactions, cancellations and R-04 facts `by` earlier, its
    validity ended `expired_days_ago` days ago (relations between its dates unchanged)."""
    s = world.session
    if s.get_bind().dialect.name == "postgresql":
        # a committed transaction never changes (docs/evidence.md triggers): the time travel
        # of this test data goes round them, as only a superuser can, for this transaction
        s.execute(text("SET LOCAL session_replication_role = replica"))
    rows = (
        list(s.scalars(select(Transaction).where(Transaction.carnet_id == carnet.id)))
        + list(
            s.scalars(
                select(Cancellation)
                .join(Transaction, Transaction.id == Cancellation.transaction_id)
                .where(Transaction.carnet_id == carnet.id)
            )
        )
        + list(s.scalars(select(CarnetTerritory).where(CarnetTerritory.carnet_id == carnet.id)))
    )
    for row in rows:  # in Python: SQLite has no datetime arithmetic in SQL
        name = {"Transaction": "committed_at", "Cancellation": "at"}.get(
            type(row).__name__, "entered_at"
        )
        setattr(row, name, getattr(row, name) - by)
    s.execute(
        update(Carnet)
        .where(Carnet.id == carnet.id)
        .values(valid_until=now_utc().date() - dt.timedelta(days=expired_days_ago))
    )
    s.commit()
    s.refresh(carnet)


def closed_carnet(world):
    """round_trip, aged and reconciled: what the archive takes."""
    carnet, ids, cancelled = round_trip(world)
    age(world, carnet)
    reconcile(world)
    return carnet, ids, cancelled


def where_rows_are(session, carnet_id: int) -> dict[str, tuple[int, int]]:
    """Per table, (live rows, archived rows) of the carnet."""
    live_txn = select(Transaction.id).where(Transaction.carnet_id == carnet_id)
    arch_txn = select(TransactionArchive.id).where(TransactionArchive.carnet_id == carnet_id)

    def n(model, cond) -> int:
        return session.scalar(select(func.count()).select_from(model).where(cond)) or 0

    return {
        "transactions": (
            n(Transaction, Transaction.carnet_id == carnet_id),
            n(TransactionArchive, TransactionArchive.carnet_id == carnet_id),
        ),
        "items": (
            n(TransactionItem, TransactionItem.transaction_id.in_(live_txn)),
            n(TransactionItemArchive, TransactionItemArchive.transaction_id.in_(arch_txn)),
        ),
        "cancellations": (
            n(Cancellation, Cancellation.transaction_id.in_(live_txn)),
            n(CancellationArchive, CancellationArchive.transaction_id.in_(arch_txn)),
        ),
        "facts": (
            n(CarnetTerritory, CarnetTerritory.carnet_id == carnet_id),
            n(CarnetTerritoryArchive, CarnetTerritoryArchive.carnet_id == carnet_id),
        ),
    }


def run_archive(world, **kw) -> archive.Result:
    result = archive.run(world.session, days=kw.pop("days", 3 * 365), **kw)
    world.session.expire_all()
    return result


def in_use(world):
    """A carnet in use, transacted after the closed ones: it holds the newest transaction,
    line and cancellation ids, which the archive never moves (archive._newest_carnets)."""
    return round_trip(world)[0]
