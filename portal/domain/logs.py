"""Logs (F-63): the carnets a customs territory transacted and the transactions it may see,
filtered and paginated, under the visibility rule (R-04, portal/domain/visibility.py).

R-04 in SQL: of a carnet that entered the territory, the territory sees the transactions made
before the carnet first entered it, its own, and the final re-importation — read from the
read model `carnet_territory` (portal/domain/history.py) by index. The lists page by keyset
(portal/domain/paging.py) and count up to paging.COUNT_CAP rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, or_, select, union
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import ColumnElement

from portal.domain import DomainError, NotFound, archive, history
from portal.domain.paging import PER_PAGE, Page, keyset_page
from portal.domain.visibility import SeenTransaction, seen_by
from portal.models import Carnet, Transaction
from portal.models.monitoring import CarnetTerritory, Reconciliation

EXPORT_LIMIT = 500
# the Carnets tab filters on the carnet's status, the Transactions tab on the transaction's state
STATUS_FILTERS = (
    "all",
    "na",
    "terminated",
    "to_check",
    "valid",
    "expired",
    "committed",
    "cancelled",
)
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


def visible_transactions(territory_id: int):
    """A WHERE clause: the transactions `territory_id` sees in its logs (R-04), read from the
    read model (portal/domain/history.py) by its primary key."""
    return history.visible(territory_id)


def _carnet_search(text: str) -> ColumnElement[bool]:
    """The search box: a carnet number given whole (any case; the unique index of
    carnet_number) or the eATA ID."""
    cond: ColumnElement[bool] = Carnet.carnet_number == text.upper()
    if text.isascii() and text.isdigit() and len(text) < 10:
        cond = or_(cond, Carnet.eata_id == int(text))
    return cond


def _transaction_search(text: str) -> ColumnElement[bool]:
    """The Transactions tab's search box: the transactions of the carnet searched for, or the
    ones with that customs reference number (given whole; ix_transaction_reference) — as a set
    of ids, so the database looks them up by index before ordering them."""
    found = union(
        select(Transaction.id).where(
            Transaction.carnet_id.in_(select(Carnet.id).where(_carnet_search(text)))
        ),
        select(Transaction.id).where(Transaction.reference == text),
    )
    return Transaction.id.in_(found)


def status_expr(territory_id: int, today: dt.date):
    return case(
        (Carnet.valid_until >= today, literal("na")),
        else_=func.coalesce(Reconciliation.status, literal("na")),
    )


def carnets_query(territory_id: int, f: Filters, today: dt.date, *, count: bool = False):
    """The Carnets tab's query: (carnet, its status) pairs; with `count`, only the read
    model's carnet ids, joined to the carnet and to its status only when a filter reads them
    (each join keeps one row per carnet): the capped count of an unfiltered list then reads
    the (territory, carnet) index alone."""
    ct = CarnetTerritory
    on_status = and_(
        Reconciliation.carnet_id == ct.carnet_id, Reconciliation.territory_id == territory_id
    )
    if count:
        q = select(ct.carnet_id).where(ct.territory_id == territory_id)
        if f.status != "all" or f.carnet_type or f.date_from or f.date_to or f.q:
            q = q.join(Carnet, Carnet.id == ct.carnet_id)
        if f.status in ("na", "terminated", "to_check"):
            q = q.outerjoin(Reconciliation, on_status)
    else:
        status = status_expr(territory_id, today).label("recon_status")
        q = (
            select(Carnet, status)
            .join(ct, and_(ct.carnet_id == Carnet.id, ct.territory_id == territory_id))
            .outerjoin(Reconciliation, on_status)
        )
    if f.status in ("terminated", "to_check"):
        # the same as status_expr == f.status, written so the reconciliation's
        # (territory_id, status, carnet_id) index drives the query in the list's order
        q = q.where(Carnet.valid_until < today, Reconciliation.status == f.status)
    elif f.status == "na":
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
            exists().where(
                Transaction.carnet_id == CarnetTerritory.carnet_id,
                Transaction.office_id == f.office_id,
            )
        )
    if f.q:
        q = q.where(_carnet_search(f.q))
    return q


CARNET_KEYS = (CarnetTerritory.carnet_id,)
TRANSACTION_KEYS = (Transaction.committed_at, Transaction.id)


def newest_first(q, keys):
    """`q` in the lists' order (descending `keys`): what the exports take the first rows of."""
    return q.order_by(*(k.desc() for k in keys))


def transactions_query(territory_id: int, f: Filters):
    """The list's query (without its order: TRANSACTION_KEYS, newest first): R-04 as a join
    on the read model by its primary key — no aggregate over the transactions table."""
    ct = CarnetTerritory
    q = (
        select(Transaction)
        .join(Carnet, Carnet.id == Transaction.carnet_id)
        .join(ct, and_(ct.carnet_id == Transaction.carnet_id, ct.territory_id == territory_id))
        .where(
            or_(
                Transaction.territory_id == territory_id,
                Transaction.committed_at < ct.entered_at,
                Transaction.id == ct.final_reimport_id,
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
        q = q.where(_transaction_search(f.q))
    return q


def carnets_page(
    session: Session,
    territory_id: int,
    f: Filters,
    today: dt.date,
    per_page: int = PER_PAGE,
    *,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """A page of the Carnets tab, newest carnet first (keyset on the read model's
    (territory, carnet) index): items are (carnet, reconciliation status) pairs."""
    page = keyset_page(
        session,
        carnets_query(territory_id, f, today).add_columns(CarnetTerritory.carnet_id),
        CARNET_KEYS,
        lambda row: (row[2],),
        count_stmt=carnets_query(territory_id, f, today, count=True),
        page=f.page,
        after=after,
        before=before,
        per_page=per_page,
        rows=True,
    )
    page.items = [(c, s) for c, s, _ in page.items]
    return page


def transactions_page(
    session: Session,
    territory_id: int,
    f: Filters,
    customs_id: int,
    per_page: int = PER_PAGE,
    *,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """A page of the Transactions tab, newest first (keyset on committed_at, id), as the
    administration `customs_id` sees them (visibility.seen_by: another administration's
    without officer name or remarks)."""
    page = keyset_page(
        session,
        transactions_query(territory_id, f),
        TRANSACTION_KEYS,
        lambda t: (t.committed_at, t.id),
        page=f.page,
        after=after,
        before=before,
        per_page=per_page,
    )
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
    if txn is None:  # an archived carnet's (portal/domain/archive.py)
        a = archive.ARCHIVE
        txn = session.scalar(
            select(a.txn).where(
                a.txn.id == transaction_id, history.visible(territory_id, a.txn, a.facts)
            )
        )
    if txn is None:
        raise NotFound(_("No such transaction."))
    return seen_by(session, [txn], customs_id)[0]


def check_selection(ids: list[int], limit: int = 25) -> None:
    if not ids:
        raise DomainError(_("Select at least one transaction to export."), field="ids")
    if len(ids) > limit:
        raise DomainError(
            _(
                "Select at most %(limit)s transactions; use the filters to narrow down your export.",
                limit=limit,
            ),
            field="ids",
        )
