"""The archive of closed carnets (issue #20 item 5, docs/monitoring.md "Archive").

A carnet closed long ago (expired `ARCHIVE_AFTER_DAYS` ago, reconciled, no active claim) has
its rows moved out of the tables the hot paths scan into tables of the same shape:

    carnet_transaction → carnet_transaction_archive
    transaction_item   → transaction_item_archive
    cancellation       → cancellation_archive
    carnet_territory   → carnet_territory_archive   (the R-04 read model)

The archive tables are built from the live tables' columns here, so a column added to a live
table is added to its archive too (and `tests/test_foundation.py` fails until a migration adds
it). Ids are kept: a transaction id means the same row wherever it lives. The carnet row, its
goods, vouchers, reconciliation results, claims and the audit trail stay where they are;
`carnet.archived_at` says where the carnet's transactions live, and portal/domain/archive.py
is the one place that reads them from there.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base
from portal.models.carnets import Carnet
from portal.models.monitoring import CarnetTerritory
from portal.models.transactions import Cancellation, Transaction, TransactionItem, Voucher

__all__ = [
    "TransactionArchive",
    "TransactionItemArchive",
    "CancellationArchive",
    "CarnetTerritoryArchive",
    "ArchivedYearCount",
    "ARCHIVED_TABLES",
]

# a foreign key to a live table that moves points at its archive
_MOVED = {
    "carnet_transaction.id": "carnet_transaction_archive.id",
}


def _archive_of(live: Table, name: str, *indexes: tuple[str, ...]) -> Table:
    """A table of the same columns as `live` (types, nullability, primary key, foreign keys;
    no defaults, checks or unique constraints: rows arrive by INSERT … SELECT of live rows
    that passed them), with the indexes the per-carnet reads need."""
    columns = []
    for c in live.columns:
        fks = [
            ForeignKey(_MOVED.get(fk.target_fullname, fk.target_fullname), ondelete=fk.ondelete)
            for fk in c.foreign_keys
        ]
        columns.append(
            Column(
                c.name,
                c.type,
                *fks,
                primary_key=c.primary_key,
                nullable=c.nullable,
                autoincrement=False,
            )
        )
    table = Table(name, Base.metadata, *columns)
    for cols in indexes:
        Index(f"ix_{name}_{'_'.join(cols)}", *(table.c[c] for c in cols))
    return table


class TransactionArchive(Base):
    """A transaction of an archived carnet (the columns of `Transaction`)."""

    __table__ = _archive_of(
        Transaction.__table__,  # type: ignore[arg-type]
        "carnet_transaction_archive",
        ("carnet_id", "committed_at"),
        ("verification_code_hash",),
    )

    items = relationship(
        "TransactionItemArchive",
        order_by="TransactionItemArchive.id",
        viewonly=True,
    )
    voucher = relationship(Voucher, viewonly=True)


class TransactionItemArchive(Base):
    __table__ = _archive_of(
        TransactionItem.__table__,  # type: ignore[arg-type]
        "transaction_item_archive",
        ("transaction_id",),
    )


class CancellationArchive(Base):
    __table__ = _archive_of(
        Cancellation.__table__,  # type: ignore[arg-type]
        "cancellation_archive",
        ("transaction_id",),
    )


class CarnetTerritoryArchive(Base):
    """The R-04 facts of an archived carnet (the columns of `CarnetTerritory`)."""

    __table__ = _archive_of(
        CarnetTerritory.__table__,  # type: ignore[arg-type]
        "carnet_territory_archive",
        ("territory_id", "carnet_id"),
    )


class ArchivedYearCount(Base):
    """Statistics (F-66) of archived transactions: a territory's committed transactions per
    year that moved to the archive, added by each archive batch (they never change again).
    The statistics page adds them to the live counts (portal/domain/statistics.py)."""

    __tablename__ = "archived_year_count"

    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    committed: Mapped[int] = mapped_column(Integer)


# (live, archive) in the order rows are copied; deleted in the reverse order
ARCHIVED_TABLES = (
    (Transaction, TransactionArchive),
    (TransactionItem, TransactionItemArchive),
    (Cancellation, CancellationArchive),
    (CarnetTerritory, CarnetTerritoryArchive),
)

_ = Carnet  # carnet.archived_at: the flag (portal/models/carnets.py)
