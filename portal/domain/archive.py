"""The archive of closed carnets (issue #20 item 5; docs/monitoring.md "Archive").

A carnet is *closed* when its validity ended more than `ARCHIVE_AFTER_DAYS` ago, it has been
reconciled since (no N/A status left, no transaction after its last reconciliation), nothing
was committed on it in those days and no claim on it is still active (open or answered). Its
transactions, their lines, cancellations and its R-04 facts then move to the archive tables
of the same shape (portal/models/archive.py), by batches of carnets: per batch one database
transaction copies the rows (INSERT … SELECT), deletes them from the live tables, marks the
carnets (`carnet.archived_at`) and writes a `carnet.archived` audit event per carnet. A batch
is all or nothing: a run stopped between batches leaves every row in exactly one place, and
the next run carries on (archived carnets are not selected again).

What stays: the carnet and its goods, travels and vouchers, holds and rejections, the
reconciliation results (statuses and lines — final, and the runs leave archived carnets out),
claims, holder notifications, and the audit trail (never moved nor rewritten).

Reading: `store_of` / `store_for` answer the models that hold a carnet's transactions (the
live ones or the archive), `find_transaction` a transaction by id wherever it lives. Every
per-carnet read (the customs history, details, receipts and evidence, the NICS API's carnet)
goes through them; the Logs lists read the live tables, and a search by a whole carnet number
finds an archived carnet with `archived_match` (the lists show a note linking to its history).
Writing: `check_open` refuses a commit or cancellation on an archived carnet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import (
    BindParameter,
    Insert,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, aliased

from portal.db import now_utc, rows_changed
from portal.domain import Conflict, audit
from portal.models import Cancellation, Carnet, Transaction, TransactionItem
from portal.models.archive import (
    ARCHIVED_TABLES,
    ArchivedYearCount,
    CancellationArchive,
    CarnetTerritoryArchive,
    TransactionArchive,
    TransactionItemArchive,
)
from portal.models.monitoring import (
    CarnetTerritory,
    Claim,
    Reconciliation,
    ReconciliationRun,
    TransactionYearCount,
    TransitState,
)

DEFAULT_AFTER_DAYS = 3 * 365
DEFAULT_BATCH = 500
# a batch takes the reconciliation's advisory lock (PostgreSQL): a run that had taken a carnet
# into its scope before the carnet moved would recompute its results from no transaction
_LOCK_KEY = 6061

_after_days: int | None = DEFAULT_AFTER_DAYS


def configure(after_days: int | None) -> None:
    """`ARCHIVE_AFTER_DAYS` (portal.apply_config): 0, a negative number or None never
    archives."""
    global _after_days
    _after_days = days_or_none(after_days)


def days_or_none(days: int | None) -> int | None:
    return days if days is not None and days > 0 else None


def after_days() -> int | None:
    return _after_days


# --- where a carnet's transactions live ------------------------------------------------------


@dataclass(frozen=True)
class Store:
    """The models holding a carnet's transactions: the live tables or their archive (the same
    columns, so a query written against one runs against the other)."""

    txn: type[Transaction]
    item: type[TransactionItem]
    cancellation: type[Cancellation]
    facts: type[CarnetTerritory]
    archived: bool


LIVE = Store(Transaction, TransactionItem, Cancellation, CarnetTerritory, False)
ARCHIVE = Store(
    cast(type[Transaction], TransactionArchive),
    cast(type[TransactionItem], TransactionItemArchive),
    cast(type[Cancellation], CancellationArchive),
    cast(type[CarnetTerritory], CarnetTerritoryArchive),
    True,
)


def store_of(carnet: Carnet) -> Store:
    return ARCHIVE if carnet.archived_at is not None else LIVE


def store_for(session: Session, carnet_id: int) -> Store:
    archived = session.scalar(select(Carnet.archived_at).where(Carnet.id == carnet_id))
    return ARCHIVE if archived is not None else LIVE


def find_transaction(session: Session, transaction_id: int) -> Transaction | None:
    """A transaction by id in the live table, else in the archive (ids are kept)."""
    txn = session.get(Transaction, transaction_id)
    if txn is None:
        txn = cast(Transaction | None, session.get(TransactionArchive, transaction_id))
    return txn


def is_archived(txn: Any) -> bool:
    return isinstance(txn, TransactionArchive)


def check_open(carnet: Carnet) -> None:
    """A commit or cancellation on an archived carnet is refused: it is closed."""
    if carnet.archived_at is not None:
        raise Conflict(
            _(
                "Carnet %(number)s is closed and archived: no transaction can be committed or cancelled on it.",
                number=carnet.carnet_number,
            ),
            code="carnet_archived",
        )


def refuse_if_archived(session: Session, transaction_id: int) -> None:
    """A write naming a transaction that is in the archive is refused as `check_open` does."""
    txn = session.get(ARCHIVE.txn, transaction_id)
    if txn is not None:
        check_open(session.get_one(Carnet, txn.carnet_id))


def archived_match(session: Session, search: str, territory_id: int) -> Carnet | None:
    """The archived carnet a Logs search names (its number given whole, any case, or its eATA
    ID) when it entered `territory_id` — the lists read live data only and show a note
    linking to its history instead."""
    text_ = (search or "").strip()
    if not text_:
        return None
    cond = Carnet.carnet_number == text_.upper()  # stored upper case: the unique index
    if text_.isascii() and text_.isdigit() and len(text_) < 10:
        cond = or_(cond, Carnet.eata_id == int(text_))
    return session.scalar(
        select(Carnet)
        .where(
            cond,
            Carnet.archived_at.is_not(None),
            exists().where(
                ARCHIVE.facts.carnet_id == Carnet.id, ARCHIVE.facts.territory_id == territory_id
            ),
        )
        .limit(1)
    )


# --- which carnets are closed ------------------------------------------------------------------


def cutoff(today: dt.date, days: int) -> dt.date:
    return today - dt.timedelta(days=days)


def closed_carnets(today: dt.date, days: int):
    """A SELECT of the ids of the carnets to archive, oldest id first: validity ended before
    the cut-off, transacted (it has R-04 facts), reconciled after its expiry and after its
    last transaction and cancellation (by the runs), nothing committed since the cut-off, no active claim,
    and not the holder of the largest id of a moved table (`_newest_carnets`)."""
    limit_day = cutoff(today, days)
    since = dt.datetime.combine(limit_day, dt.time())
    t = aliased(Transaction)
    r = aliased(Reconciliation)
    c = aliased(Cancellation)
    # the start of the last finished run: it reconciled everything committed or cancelled
    # before (an incremental run's scope is what changed since the run before it)
    reconciled = (
        select(func.max(ReconciliationRun.started_at))
        .where(ReconciliationRun.finished_at.is_not(None))
        .scalar_subquery()
    )
    return (
        select(Carnet.id)
        .where(
            Carnet.archived_at.is_(None),
            Carnet.valid_until < limit_day,
            exists().where(CarnetTerritory.carnet_id == Carnet.id),
            exists().where(Reconciliation.carnet_id == Carnet.id),
            ~exists().where(r.carnet_id == Carnet.id, r.status == "na"),
            ~exists().where(t.carnet_id == Carnet.id, t.committed_at >= since),
            ~exists().where(t.carnet_id == Carnet.id, t.committed_at >= reconciled),
            ~exists().where(t.carnet_id == Carnet.id, c.transaction_id == t.id, c.at >= reconciled),
            ~exists().where(Claim.carnet_id == Carnet.id, Claim.status.in_(("open", "answered"))),
            Carnet.id.not_in(_newest_carnets()),
        )
        .order_by(Carnet.id)
    )


def _newest_carnets():
    """The carnets holding the largest id of carnet_transaction, transaction_item and
    cancellation. SQLite gives a new row the largest id in the table + 1: were that row moved
    out, its id would be handed out again and collide with the archived one. Kept live, the
    largest ids never go (in practice the newest rows belong to carnets in use anyway)."""
    newest = [
        select(func.max(Transaction.id)).scalar_subquery(),
        select(TransactionItem.transaction_id)
        .where(TransactionItem.id == select(func.max(TransactionItem.id)).scalar_subquery())
        .scalar_subquery(),
        select(Cancellation.transaction_id)
        .where(Cancellation.id == select(func.max(Cancellation.id)).scalar_subquery())
        .scalar_subquery(),
    ]
    return select(Transaction.carnet_id).where(Transaction.id.in_(newest))


@dataclass
class Plan:
    carnets: int
    transactions: int


def plan(session: Session, today: dt.date, days: int) -> Plan:
    """What a run would move (the dry run): carnets and their transactions."""
    ids = closed_carnets(today, days).order_by(None).subquery()
    carnets = session.scalar(select(func.count()).select_from(ids)) or 0
    transactions = (
        session.scalar(
            select(func.count())
            .select_from(Transaction)
            .where(Transaction.carnet_id.in_(select(ids.c.id)))
        )
        or 0
    )
    return Plan(carnets, transactions)


# --- moving ------------------------------------------------------------------------------------


def _table(model) -> Table:
    return cast(Table, model.__table__)


def _copy(live, archived, where) -> Insert:
    """INSERT INTO <archive> (columns) SELECT columns FROM <live> WHERE …"""
    src, dst = _table(live), _table(archived)
    names = [c.name for c in src.columns]
    return insert(dst).from_select(names, select(*(src.c[n] for n in names)).where(where))


def move_batch(session: Session, carnet_ids: list[int], now: dt.datetime) -> int:
    """Move the rows of `carnet_ids` to the archive and mark the carnets, in the caller's
    transaction (the caller commits: one transaction per batch). Returns the number of
    transactions moved."""
    if not carnet_ids:
        return 0
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    params = {"ids": carnet_ids}
    txn_ids = select(Transaction.id).where(Transaction.carnet_id.in_(ids))
    where = {
        Transaction: Transaction.carnet_id.in_(ids),
        TransactionItem: TransactionItem.transaction_id.in_(txn_ids),
        Cancellation: Cancellation.transaction_id.in_(txn_ids),
        CarnetTerritory: CarnetTerritory.carnet_id.in_(ids),
    }
    moved = (
        session.scalar(
            select(func.count()).select_from(Transaction).where(where[Transaction]), params
        )
        or 0
    )
    for live, archived in ARCHIVED_TABLES:
        session.execute(_copy(live, archived, where[live]), params)
    _add_year_counts(session, where[Transaction], params)
    # the transit snapshot of these carnets goes (their transits are final; it points at the
    # live transactions), then the live rows, children first
    session.execute(
        delete(TransitState)
        .where(TransitState.carnet_id.in_(ids))
        .execution_options(synchronize_session=False),
        params,
    )
    for live, _archived in reversed(ARCHIVED_TABLES):
        session.execute(
            delete(live).where(where[live]).execution_options(synchronize_session=False), params
        )
    session.execute(
        update(Carnet)
        .where(Carnet.id.in_(ids))
        .values(archived_at=now)
        .execution_options(synchronize_session=False),
        params,
    )
    for carnet_id, nga_id, number in session.execute(
        select(Carnet.id, Carnet.nga_id, Carnet.carnet_number).where(Carnet.id.in_(ids)), params
    ):
        audit.insert(
            session,
            "carnet.archived",
            actor_type="system",
            actor_label="archive",
            nga_id=nga_id,
            object_type="carnet",
            object_id=carnet_id,
            data={"carnet_number": number},
        )
    return moved


def _add_year_counts(session: Session, where, params: dict) -> None:
    """The statistics' counts (F-66) follow the committed transactions moved: added to
    `archived_year_count` and taken from the last reconciliation run's
    `transaction_year_count`, which counted them (a closed carnet had no commit nor
    cancellation since its last reconciliation) and whose next refresh counts only the live
    ones. A few rows per batch; one mover at a time."""
    year = func.extract("year", Transaction.committed_at)
    rows = session.execute(
        select(Transaction.territory_id, year, func.count())
        .where(where, Transaction.state == "committed")
        .group_by(Transaction.territory_id, year),
        params,
    ).all()
    for territory_id, y, n in rows:
        key = (ArchivedYearCount.territory_id == territory_id, ArchivedYearCount.year == int(y))
        if not rows_changed(
            session,
            update(ArchivedYearCount)
            .where(*key)
            .values(committed=ArchivedYearCount.committed + n)
            .execution_options(synchronize_session=False),
        ):
            session.execute(
                insert(ArchivedYearCount).values(
                    territory_id=territory_id, year=int(y), committed=n
                )
            )
        session.execute(
            update(TransactionYearCount)
            .where(
                TransactionYearCount.territory_id == territory_id,
                TransactionYearCount.year == int(y),
            )
            .values(committed=TransactionYearCount.committed - n)
            .execution_options(synchronize_session=False)
        )


def archived_by_year(session: Session, territory_id: int) -> dict[int, int]:
    """The statistics' committed transactions of the territory per year that are archived."""
    return dict(
        session.execute(
            select(ArchivedYearCount.year, ArchivedYearCount.committed).where(
                ArchivedYearCount.territory_id == territory_id
            )
        )
        .tuples()
        .all()
    )


@dataclass
class Result:
    carnets: int = 0
    transactions: int = 0
    batches: int = 0


def run(
    session: Session,
    *,
    today: dt.date | None = None,
    days: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress=None,
) -> Result:
    """Archive every closed carnet, `batch_size` carnets per database transaction: this
    function COMMITS after each batch (a job's or command's loop), so a stop between batches
    keeps what was done and loses nothing. `days` defaults to `ARCHIVE_AFTER_DAYS`; None/0:
    nothing is archived."""
    days = after_days() if days is None else days_or_none(days)
    result = Result()
    if days is None:
        return result
    today = today or now_utc().date()
    pg = session.get_bind().dialect.name == "postgresql"
    after = 0  # keyset: a batch starts past the previous one (the skipped stay skipped)
    while True:
        if pg:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        pick = closed_carnets(today, days).where(Carnet.id > after).limit(batch_size)
        if pg:
            # the carnets' row locks: a commit on one of them waits, then sees it archived
            pick = pick.with_for_update(of=Carnet, skip_locked=True)
        ids: list[int] = list(session.scalars(pick))
        if not ids:
            session.rollback()
            return result
        result.transactions += move_batch(session, ids, now_utc())
        session.commit()
        after = ids[-1]
        result.carnets += len(ids)
        result.batches += 1
        if progress:
            progress(result)
