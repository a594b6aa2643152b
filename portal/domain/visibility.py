"""What a customs territory may see of a carnet's history (F-65, R-04).

A territory sees the transactions made before the carnet first entered it, its own, and the
final re-importation — not what other territories did after the carnet came in. A carnet that
never entered the territory shows everything (all of it happened "before"). Cancelled
transactions stay in the history with their state (R-05). Rejections and holds are not
transactions: a territory sees only its own (rejections_for / holds_of).

Inside a territory (the EU: BE, FR…) R-04 shares the transaction — kind, office, country, time,
goods, its state and a cancellation's reason — not who committed it: the officer's name and the
internal remarks stay with the administration that committed it (F-02). Every screen and export
that shows transactions to an administration goes through `seen_by`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.domain import archive
from portal.models import Transaction

# what stays with the administration that committed a transaction (F-02)
PRIVATE_FIELDS = frozenset({"officer_name", "remarks"})


class SeenTransaction:
    """A transaction as one administration sees it: every attribute of the transaction, the
    private ones blank when another administration committed it, and `cancellation_reason`.
    Read-only: nothing set on it reaches the database."""

    __slots__ = ("_txn", "own", "cancellation_reason")

    def __init__(self, txn: Transaction, customs_id: int | None, cancellation_reason: str = ""):
        self._txn = txn
        self.own = customs_id is not None and txn.customs_id == customs_id
        self.cancellation_reason = cancellation_reason

    def __getattr__(self, name: str):
        if name in PRIVATE_FIELDS and not self.own:
            return ""
        return getattr(self._txn, name)

    def __repr__(self) -> str:
        return f"<SeenTransaction {self._txn.id} own={self.own}>"


def cancellation_reasons(
    session: Session, transaction_ids: Iterable[int], store: archive.Store = archive.LIVE
) -> dict[int, str]:
    """The reason of each cancelled transaction among `transaction_ids` (F-44): one query
    (in the archive's cancellations for an archived carnet's transactions)."""
    ids = set(transaction_ids)
    if not ids:
        return {}
    c = store.cancellation
    return dict(
        session.execute(select(c.transaction_id, c.reason).where(c.transaction_id.in_(ids)))
        .tuples()
        .all()
    )


def seen_by(
    session: Session, txns: Iterable[Transaction], customs_id: int | None
) -> list[SeenTransaction]:
    """`txns` as the administration `customs_id` may see them (None: no administration's own,
    e.g. a system export — every private field blank)."""
    txns = list(txns)
    cancelled = [t for t in txns if t.state == "cancelled"]
    reasons = cancellation_reasons(session, (t.id for t in cancelled if not archive.is_archived(t)))
    reasons.update(
        cancellation_reasons(
            session, (t.id for t in cancelled if archive.is_archived(t)), archive.ARCHIVE
        )
    )
    return [SeenTransaction(t, customs_id, reasons.get(t.id, "")) for t in txns]


def history_for_territory(session: Session, carnet_id: int, territory_id: int) -> list[Transaction]:
    """The carnet's transactions as `territory_id` may see them, oldest first (the rows
    themselves: a screen of an administration shows `history_seen_by`). An archived
    carnet's are read from the archive (portal/domain/archive.py)."""
    store = archive.store_for(session, carnet_id)
    rows = _transactions(session, carnet_id, store)
    # R-04's two facts, from the read model (portal/domain/history.py) by its primary key
    facts = session.get(store.facts, (carnet_id, territory_id))
    entered = facts.entered_at if facts else None
    final_reimport = facts.final_reimport_id if facts else None
    return [
        t
        for t in rows
        if entered is None
        or t.committed_at < entered
        or t.territory_id == territory_id
        or t.id == final_reimport
    ]


def full_history(session: Session, carnet_id: int) -> list[Transaction]:
    """Every transaction of a carnet (the NGA's counterfoil view, discharge, reconciliation),
    from the archive when the carnet is archived."""
    return _transactions(session, carnet_id, archive.store_for(session, carnet_id))


def _transactions(session: Session, carnet_id: int, store: archive.Store) -> list[Transaction]:
    t = store.txn
    return list(
        session.scalars(
            select(t)
            .where(t.carnet_id == carnet_id)
            .options(selectinload(t.items))
            .order_by(t.committed_at, t.id)
        )
    )


def history_seen_by(
    session: Session, carnet_id: int, territory_id: int, customs_id: int
) -> list[SeenTransaction]:
    """The carnet's history as the administration `customs_id` of `territory_id` sees it:
    R-04's transactions, another administration's without officer name or remarks."""
    return seen_by(session, history_for_territory(session, carnet_id, territory_id), customs_id)
