"""Transit monitoring (F-62): every transit opened in a customs territory and its state —
in progress (orange), closed in due time (green), expired without a (timely) close (red).

Computed live with one query (portal.domain.reconciliation.transit_rows) so the page is right
at any hour; the daily job also writes the same states into `transit_state` for statistics.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Subquery, select, union
from sqlalchemy.orm import Session, selectinload

from portal.domain.paging import COUNT_CAP, PER_PAGE, Page, capped_count, paginate
from portal.domain.reconciliation import item_ranges, last_run, transit_rows
from portal.domain.visibility import SeenTransaction, seen_by
from portal.models import Cancellation, Carnet, Transaction
from portal.models.monitoring import TransitState

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
    candidates = _candidates(session, territory_id, state) if state in STATES else None
    rows = (
        _every_transit(today, territory_id)
        if candidates is None
        else transit_rows(today, territory_id=territory_id, open_ids=candidates).subquery()
    )
    q = select(rows)
    if state in STATES:
        q = q.where(rows.c.state == state)
    order = rows.c.open_id.desc()
    # the count stops at the cap, read newest first like the page ("more than 1,000")
    total, more = capped_count(session, q, COUNT_CAP, [order])
    result = paginate(session, q.order_by(order), page, per_page, rows=True, total=total)
    result.more = more
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


@functools.lru_cache(maxsize=64)
def _every_transit(today: dt.date, territory_id: int) -> Subquery:
    """transit_rows of every transit opened in the territory, built once per day and territory:
    building that statement costs as much CPU as running it (an immutable object, shared)."""
    return transit_rows(today, territory_id=territory_id).subquery()


# the states a transit could have had at the last run and be in `state` now without its carnet
# being touched since (a close or its cancellation touches the carnet)
_COULD_BECOME = {
    "in_progress": ("in_progress",),
    "expired": ("in_progress", "expired"),
    "closed": ("in_progress", "closed"),
}


def _candidates(session: Session, territory_id: int, state: str):
    """The transit opens that can be in `state` now, read by index: those in a state that can
    lead there at the last reconciliation run (its `transit_state` snapshot), and those of
    carnets with a transaction committed or cancelled since. None (all of them) before any
    run. The state itself is then computed live on these only, so a filtered page does not
    compute the state of every transit the territory ever opened."""
    last = last_run(session)
    if last is None:
        return None
    since = last.started_at
    return union(
        select(TransitState.open_transaction_id).where(
            TransitState.territory_id == territory_id,
            TransitState.state.in_(_COULD_BECOME[state]),
        ),
        select(Transaction.id).where(
            Transaction.kind == "transit_open",
            Transaction.territory_id == territory_id,
            Transaction.carnet_id.in_(
                union(
                    select(Transaction.carnet_id).where(Transaction.committed_at >= since),
                    select(Transaction.carnet_id)
                    .join(Cancellation, Cancellation.transaction_id == Transaction.id)
                    .where(Cancellation.at >= since),
                )
            ),
        ),
    )


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
