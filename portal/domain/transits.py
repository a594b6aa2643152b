"""Transit monitoring (F-62): every transit opened in a customs territory and its state —
in progress (orange), closed in due time (green), expired without a (timely) close (red).

Computed live with one query (portal.domain.reconciliation.transit_rows) so the page is right
at any hour; the daily job also writes the same states into `transit_state` for statistics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.domain.paging import PER_PAGE, Page, paginate
from portal.domain.reconciliation import item_ranges, transit_rows
from portal.domain.visibility import SeenTransaction, seen_by
from portal.models import Carnet, Transaction

STATE_LABELS = {
    "in_progress": _l("Transit in progress"),
    "closed": _l("Transit closed in due time"),
    "expired": _l("Transit expired"),
}
STATES = tuple(STATE_LABELS)


@dataclass
class TransitView:
    state: str
    carnet: Carnet
    opened: SeenTransaction
    closed: SeenTransaction | None
    due_date: dt.date | None

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def open_goods(self) -> str:
        return item_ranges(i.item_no for i in self.opened.items)

    @property
    def close_goods(self) -> str:
        return item_ranges(i.item_no for i in self.closed.items) if self.closed else ""


def transits(
    session: Session,
    territory_id: int,
    today: dt.date,
    *,
    state: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
    customs_id: int | None = None,
) -> Page:
    """A page of the territory's transits (items are TransitView), newest first, as the
    administration `customs_id` sees them (visibility.seen_by)."""
    rows = transit_rows(today, territory_id=territory_id).subquery()
    q = select(rows)
    if state in STATES:
        q = q.where(rows.c.state == state)
    result = paginate(session, q.order_by(rows.c.open_id.desc()), page, per_page, rows=True)
    found = result.items
    ids = {r.open_id for r in found} | {r.close_id for r in found if r.close_id}
    txns = {
        t.id: t
        for t in seen_by(
            session,
            session.scalars(
                select(Transaction)
                .where(Transaction.id.in_(ids))
                .options(selectinload(Transaction.items))
            ),
            customs_id,
        )
    }
    carnets = {
        c.id: c
        for c in session.scalars(select(Carnet).where(Carnet.id.in_({r.carnet_id for r in found})))
    }
    result.items = [
        TransitView(
            r.state,
            carnets[r.carnet_id],
            txns[r.open_id],
            txns.get(r.close_id) if r.close_id else None,
            r.due_date,
        )
        for r in found
    ]
    return result


def transit(
    session: Session, territory_id: int, open_id: int, today: dt.date, customs_id: int | None = None
) -> TransitView | None:
    rows = transit_rows(today, territory_id=territory_id).subquery()
    r = session.execute(select(rows).where(rows.c.open_id == open_id)).first()
    if r is None:
        return None
    found = [session.get_one(Transaction, r.open_id)]
    if r.close_id:
        found.append(session.get_one(Transaction, r.close_id))
    opened, *closed = seen_by(session, found, customs_id)
    carnet = session.get_one(Carnet, r.carnet_id)
    return TransitView(r.state, carnet, opened, closed[0] if closed else None, r.due_date)
