"""Logs (F-63): the carnets a customs territory transacted and the transactions it may see,
filtered and paginated, under the visibility rule (R-04, portal/domain/visibility.py).

R-04 in SQL: of a carnet that entered the territory, the territory sees the transactions made
before the carnet first entered it, its own, and the final re-importation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.sql import ColumnElement

from portal.domain import DomainError, NotFound
from portal.domain.paging import PER_PAGE, Page, paginate
from portal.domain.visibility import SeenTransaction, seen_by
from portal.models import Carnet, Transaction
from portal.models.monitoring import Reconciliation

EXPORT_LIMIT = 500
STATUS_FILTERS = ("all", "na", "terminated", "to_check", "valid", "expired")
KIND_LABELS = {
    "validation": _l("Validation"),
    "export": _l("Exportation"),
    "import": _l("Importation"),
    "reexport": _l("ReExportation"),
    "reimport": _l("ReImportation"),
    "transit_open": _l("Transit open"),
    "transit_close": _l("Transit close"),
    "pre_export": _l("Pre-exportation"),
}


@dataclass
class Filters:
    status: str = "all"
    carnet_type: str = ""
    kind: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    office_id: int | None = None
    q: str = ""
    page: int = 1
    errors: dict = field(default_factory=dict)

    def as_params(self) -> dict:
        return {
            "status": self.status,
            "carnet_type": self.carnet_type,
            "kind": self.kind,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "office_id": self.office_id or "",
            "q": self.q,
        }


def parse_filters(args) -> Filters:
    """Filters from query arguments (or an export job's params); bad values are reported
    next to their field and ignored."""
    f = Filters()
    status = (args.get("status") or "all").strip()
    f.status = status if status in STATUS_FILTERS else "all"
    ctype = (args.get("carnet_type") or "").strip().upper()
    f.carnet_type = ctype if ctype in ("ATA", "CPD") else ""
    kind = (args.get("kind") or "").strip()
    f.kind = kind if kind in KIND_LABELS else ""
    for name in ("date_from", "date_to"):
        raw = (str(args.get(name) or "")).strip()
        if raw:
            try:
                setattr(f, name, dt.date.fromisoformat(raw))
            except ValueError:
                f.errors[name] = "Give a date as dd/mm/yyyy."
    office = str(args.get("office_id") or "").strip()
    if office:
        if office.isascii() and office.isdigit() and len(office) < 10:
            f.office_id = int(office)
        else:
            f.errors["office_id"] = "Choose an office of the list."
    f.q = (str(args.get("q") or "")).strip()[:60]
    page = str(args.get("page") or "1")
    f.page = int(page) if page.isascii() and page.isdigit() and 0 < len(page) < 7 else 1
    f.page = max(1, f.page)
    return f


def _entered(territory_id: int, carnet_col):
    t2 = aliased(Transaction)
    return (
        select(func.min(t2.committed_at))
        .where(t2.carnet_id == carnet_col, t2.territory_id == territory_id)
        .scalar_subquery()
    )


def _final_reimport(carnet_col):
    t3 = aliased(Transaction)
    return (
        select(func.max(t3.id))
        .where(t3.carnet_id == carnet_col, t3.kind == "reimport", t3.state == "committed")
        .scalar_subquery()
    )


def visible_transactions(territory_id: int):
    """A WHERE clause: the transactions `territory_id` sees in its logs (R-04)."""
    entered = _entered(territory_id, Transaction.carnet_id)
    return and_(
        entered.is_not(None),
        or_(
            Transaction.territory_id == territory_id,
            Transaction.committed_at < entered,
            Transaction.id == _final_reimport(Transaction.carnet_id),
        ),
    )


def status_expr(territory_id: int, today: dt.date):
    return case(
        (Carnet.valid_until >= today, literal("na")),
        else_=func.coalesce(Reconciliation.status, literal("na")),
    )


def carnets_query(territory_id: int, f: Filters, today: dt.date):
    status = status_expr(territory_id, today).label("recon_status")
    q = (
        select(Carnet, status)
        .outerjoin(
            Reconciliation,
            and_(
                Reconciliation.carnet_id == Carnet.id, Reconciliation.territory_id == territory_id
            ),
        )
        .where(
            exists().where(
                Transaction.carnet_id == Carnet.id, Transaction.territory_id == territory_id
            )
        )
    )
    if f.status in ("na", "terminated", "to_check"):
        q = q.where(status_expr(territory_id, today) == f.status)
    elif f.status == "valid":
        q = q.where(Carnet.valid_until >= today)
    elif f.status == "expired":
        q = q.where(Carnet.valid_until < today)
    if f.carnet_type:
        q = q.where(Carnet.carnet_type == f.carnet_type)
    if f.date_from:
        q = q.where(Carnet.issue_date >= f.date_from)
    if f.date_to:
        q = q.where(Carnet.issue_date <= f.date_to)
    if f.office_id:
        q = q.where(
            exists().where(Transaction.carnet_id == Carnet.id, Transaction.office_id == f.office_id)
        )
    if f.q:
        like = f"%{f.q.upper()}%"
        cond: ColumnElement[bool] = func.upper(Carnet.carnet_number).like(like)
        if f.q.isascii() and f.q.isdigit() and len(f.q) < 10:
            cond = or_(cond, Carnet.eata_id == int(f.q))
        q = q.where(cond)
    return q.order_by(Carnet.id.desc())


def transactions_query(territory_id: int, f: Filters):
    """The list's query: R-04 as joins on two aggregates (when each carnet entered the
    territory, its final re-importation) — one pass over the table instead of a subquery per
    row, which matters with millions of transactions."""
    t2 = aliased(Transaction)
    t3 = aliased(Transaction)
    entered = (
        select(t2.carnet_id.label("carnet_id"), func.min(t2.committed_at).label("entered_at"))
        .where(t2.territory_id == territory_id)
        .group_by(t2.carnet_id)
        .subquery()
    )
    final = (
        select(t3.carnet_id.label("carnet_id"), func.max(t3.id).label("final_id"))
        .where(t3.kind == "reimport", t3.state == "committed")
        .group_by(t3.carnet_id)
        .subquery()
    )
    q = (
        select(Transaction)
        .join(Carnet, Carnet.id == Transaction.carnet_id)
        .join(entered, entered.c.carnet_id == Transaction.carnet_id)
        .outerjoin(final, final.c.carnet_id == Transaction.carnet_id)
        .where(
            or_(
                Transaction.territory_id == territory_id,
                Transaction.committed_at < entered.c.entered_at,
                Transaction.id == final.c.final_id,
            )
        )
        .options(selectinload(Transaction.items))
    )
    if f.kind:
        q = q.where(Transaction.kind == f.kind)
    if f.status in ("committed", "cancelled"):
        q = q.where(Transaction.state == f.status)
    if f.carnet_type:
        q = q.where(Carnet.carnet_type == f.carnet_type)
    if f.date_from:
        q = q.where(Transaction.committed_at >= dt.datetime.combine(f.date_from, dt.time()))
    if f.date_to:
        q = q.where(
            Transaction.committed_at
            < dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time())
        )
    if f.office_id:
        q = q.where(Transaction.office_id == f.office_id)
    if f.q:
        like = f"%{f.q.upper()}%"
        q = q.where(
            or_(
                func.upper(Carnet.carnet_number).like(like),
                func.upper(Transaction.reference).like(like),
            )
        )
    return q.order_by(Transaction.committed_at.desc(), Transaction.id.desc())


def carnets_page(
    session: Session, territory_id: int, f: Filters, today: dt.date, per_page: int = PER_PAGE
) -> Page:
    """A page of the Carnets tab: items are (carnet, reconciliation status) pairs."""
    page = paginate(session, carnets_query(territory_id, f, today), f.page, per_page, rows=True)
    page.items = [(c, s) for c, s in page.items]
    return page


def transactions_page(
    session: Session, territory_id: int, f: Filters, customs_id: int, per_page: int = PER_PAGE
) -> Page:
    """A page of the Transactions tab, as the administration `customs_id` sees them
    (visibility.seen_by: another administration's without officer name or remarks)."""
    q = transactions_query(territory_id, f)
    total = (
        session.scalar(
            select(func.count()).select_from(
                q.with_only_columns(Transaction.id).order_by(None).subquery()
            )
        )
        or 0
    )
    page = paginate(session, q, f.page, per_page, total=total)
    page.items = seen_by(session, page.items, customs_id)
    return page


def visible_transaction_ids(session: Session, territory_id: int, ids: list[int]) -> list[int]:
    """Of the given ids, those the territory may see (others are silently dropped: an export
    never carries what R-04 hides)."""
    if not ids:
        return []
    return list(
        session.scalars(
            select(Transaction.id)
            .where(Transaction.id.in_(ids), visible_transactions(territory_id))
            .order_by(Transaction.id)
        )
    )


def get_visible_transaction(
    session: Session, territory_id: int, transaction_id: int, customs_id: int
) -> SeenTransaction:
    """One transaction the territory may see (R-04), as the administration `customs_id`
    sees it; any other is NotFound."""
    txn = session.scalar(
        select(Transaction).where(
            Transaction.id == transaction_id, visible_transactions(territory_id)
        )
    )
    if txn is None:
        raise NotFound("No such transaction.")
    return seen_by(session, [txn], customs_id)[0]


def check_selection(ids: list[int], limit: int = 25) -> None:
    if not ids:
        raise DomainError("Select at least one transaction to export.", field="ids")
    if len(ids) > limit:
        raise DomainError(
            f"Select at most {limit} transactions; use the filters to narrow down your export.",
            field="ids",
        )
