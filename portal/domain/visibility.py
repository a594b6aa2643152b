"""What a customs territory may see of a carnet's history (F-65, R-04).

A territory sees the transactions made before the carnet first entered it, its own, and the
final re-importation — not what other territories did after the carnet came in. A carnet that
never entered the territory shows everything (all of it happened "before"). Cancelled
transactions stay in the history with their state (R-05). Rejections and holds are not
transactions: a territory sees only its own (rejections_for / holds_of).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models import Transaction


def history_for_territory(session: Session, carnet_id: int, territory_id: int
                          ) -> list[Transaction]:
    """The carnet's transactions as `territory_id` may see them, oldest first."""
    rows = list(session.scalars(
        select(Transaction).where(Transaction.carnet_id == carnet_id)
        .options(selectinload(Transaction.items))
        .order_by(Transaction.committed_at, Transaction.id)))
    entered = next((t.committed_at for t in rows if t.territory_id == territory_id), None)
    final_reimport = next((t.id for t in reversed(rows)
                           if t.kind == "reimport" and t.state == "committed"), None)
    return [t for t in rows
            if entered is None or t.committed_at < entered or t.territory_id == territory_id
            or t.id == final_reimport]


def full_history(session: Session, carnet_id: int) -> list[Transaction]:
    """Every transaction of a carnet (the NGA's counterfoil view, discharge, reconciliation)."""
    return list(session.scalars(
        select(Transaction).where(Transaction.carnet_id == carnet_id)
        .options(selectinload(Transaction.items))
        .order_by(Transaction.committed_at, Transaction.id)))
