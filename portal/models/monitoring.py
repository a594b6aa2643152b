"""Reconciliation, transit monitoring and claims (F-60 … F-67).

Reconciliation results are written set-based by portal/domain/reconciliation.py: one row per
(carnet, customs territory) with its status, and one row per unbalanced (carnet, territory,
item, obligation). Transit states are a snapshot refreshed by the same daily job. Exports use
the `job` row (kind export_list / export_transactions) and its result file.

Claims belong to the customs administration that opened them (TenantOwned) and are addressed
to the NGA of the carnet, which reads and answers them through the NICS API.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, now_utc
from portal.models.accounts import TenantOwned

__all__ = [
    "CarnetTerritory",
    "TransactionYearCount",
    "CarnetCountryCount",
    "ReconciliationStatusCount",
    "ReconciliationRun",
    "ReconciliationScope",
    "Reconciliation",
    "ReconciliationLine",
    "TransitState",
    "Claim",
    "ClaimEvent",
    "ClaimEvidence",
    "RECONCILIATION_STATUSES",
    "CLAIM_STATUSES",
]

RECONCILIATION_STATUSES = ("na", "terminated", "to_check")
CLAIM_STATUSES = ("open", "answered", "settled", "withdrawn")


class CarnetTerritory(Base):
    """The R-04 read model (docs/monitoring.md): per carnet and customs territory it was
    transacted in, when it first entered the territory and the carnet's final re-importation.
    Written by portal/domain/history.py in the same database transaction as the engine's
    commit or cancellation, rebuilt by `flask monitoring rebuild-history`; the Logs lists,
    their exports, the customs history and the reconciliation read it by index instead of
    aggregating the transactions."""

    __tablename__ = "carnet_territory"
    __table_args__ = (
        Index("ix_carnet_territory_territory_carnet", "territory_id", "carnet_id"),
        # the carnets that entered a territory since the last run (statistics, F-66)
        Index("ix_carnet_territory_entered", "entered_at"),
    )

    carnet_id: Mapped[int] = mapped_column(
        ForeignKey("carnet.id", ondelete="CASCADE"), primary_key=True
    )
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"), primary_key=True)
    # the first transaction of the carnet in the territory (cancelled ones included)
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # the carnet's last committed re-importation (the same on every row of the carnet)
    final_reimport_id: Mapped[int | None] = mapped_column(Integer)


class TransactionYearCount(Base):
    """Statistics (F-66) at scale: a territory's committed transactions per year as they stood
    at the start of the last reconciliation run (written by that run, set-based); the
    statistics page adds what changed since by index (portal/domain/statistics.py)."""

    __tablename__ = "transaction_year_count"

    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    committed: Mapped[int] = mapped_column(Integer)


class CarnetCountryCount(Base):
    """Statistics (F-66) at scale: the carnets that entered a territory (`carnet_territory`)
    per issuing country (the NGA's), as they stood at the last reconciliation run's
    `counted_until`; the page adds the carnets that entered since by index."""

    __tablename__ = "carnet_country_count"

    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    carnets: Mapped[int] = mapped_column(Integer)


class ReconciliationStatusCount(Base):
    """Statistics (F-66) at scale: a territory's `reconciliation` rows per status, kept by
    every reconciliation run (the only writer of `reconciliation`) with the rows it replaces."""

    __tablename__ = "reconciliation_status_count"

    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), primary_key=True)
    carnets: Mapped[int] = mapped_column(Integer)


class ReconciliationRun(Base):
    """One run of the reconciliation (full or incremental): its watermark for the next run."""

    __tablename__ = "reconciliation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # full | incremental
    # transactions committed/cancelled at or after `since` were (re)considered
    since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # the next incremental run starts from here (taken before reading)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc, index=True)
    # the statistics' counts written by the run stand as of this instant (started_at less
    # reconciliation.COUNT_LAG: every commit stamped before it has finished); NULL on runs
    # made before migration 0021, whose year counts stand as of started_at
    counted_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    today: Mapped[dt.date] = mapped_column(Date)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    carnets: Mapped[int] = mapped_column(Integer, default=0)
    to_check: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))


class ReconciliationScope(Base):
    """The carnets a run recomputes (filled by INSERT … SELECT, emptied at the end)."""

    __tablename__ = "reconciliation_scope"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("reconciliation_run.id", ondelete="CASCADE"), primary_key=True
    )
    carnet_id: Mapped[int] = mapped_column(
        ForeignKey("carnet.id", ondelete="CASCADE"), primary_key=True
    )


class Reconciliation(Base):
    """The reconciliation status of a carnet as seen by one customs territory."""

    __tablename__ = "reconciliation"
    __table_args__ = (
        CheckConstraint("status IN ('na','terminated','to_check')", name="status"),
        # a status filter of the Carnets tab in its order (newest carnet first)
        Index("ix_reconciliation_territory_status", "territory_id", "status", "carnet_id"),
    )

    carnet_id: Mapped[int] = mapped_column(
        ForeignKey("carnet.id", ondelete="CASCADE"), primary_key=True
    )
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    unbalanced: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class ReconciliationLine(Base):
    """An unbalanced general-list item in a territory: what was expected back and what was
    accounted for. obligation: reimport (exported, not re-imported), reexport (imported, not
    re-exported), transit (transit opened, not closed)."""

    __tablename__ = "reconciliation_line"
    __table_args__ = (
        CheckConstraint("obligation IN ('reimport','reexport','transit')", name="obligation"),
        Index("ix_reconciliation_line_carnet", "carnet_id", "territory_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id", ondelete="CASCADE"))
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"))
    goods_item_id: Mapped[int] = mapped_column(ForeignKey("goods_item.id"))
    item_no: Mapped[int] = mapped_column(Integer)
    obligation: Mapped[str] = mapped_column(String(10))
    expected: Mapped[int] = mapped_column(Integer)
    accounted: Mapped[int] = mapped_column(Integer)
    missing: Mapped[int] = mapped_column(Integer)


class TransitState(Base):
    """Snapshot of one transit open and its close (F-62), refreshed by the daily job."""

    __tablename__ = "transit_state"
    __table_args__ = (
        CheckConstraint("state IN ('in_progress','closed','expired')", name="state"),
        Index("ix_transit_state_territory_state", "territory_id", "state"),
    )

    open_transaction_id: Mapped[int] = mapped_column(
        ForeignKey("carnet_transaction.id", ondelete="CASCADE"), primary_key=True
    )
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id", ondelete="CASCADE"), index=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"))
    close_transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("carnet_transaction.id", ondelete="SET NULL")
    )
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class Claim(TenantOwned, Base):
    """A claim (F-67) opened by a controller on a "To check" carnet, addressed to its NGA."""

    __tablename__ = "claim"
    __table_args__ = (
        CheckConstraint("status IN ('open','answered','settled','withdrawn')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id"), index=True)
    nga_id: Mapped[int] = mapped_column(ForeignKey("nga.id"), index=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"))
    opened_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    opened_by: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    reason: Mapped[str] = mapped_column(Text, default="")
    # the items concerned, [{"item_no", "obligation", "missing"}] at opening
    items: Mapped[list] = mapped_column(JSON, default=list)
    import_duties: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=0)
    currency: Mapped[str] = mapped_column(String(3), default="")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    provisional_payment_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    events: Mapped[list[ClaimEvent]] = relationship(
        back_populates="claim", order_by="ClaimEvent.id", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[ClaimEvidence]] = relationship(
        back_populates="claim", order_by="ClaimEvidence.id", cascade="all, delete-orphan"
    )


class ClaimEvent(Base):
    """A dated step of a claim: opened, answered (by the NGA), provisional_payment, settled,
    withdrawn."""

    __tablename__ = "claim_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(10))  # customs | nga
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    # pointers to transactions recorded in the system (NGA answer)
    transaction_ids: Mapped[list] = mapped_column(JSON, default=list)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    claim: Mapped[Claim] = relationship(back_populates="events")


class ClaimEvidence(Base):
    """A document the NGA furnished (evidence or certificate of location), stored under
    STORAGE_DIR."""

    __tablename__ = "claim_evidence"
    __table_args__ = (
        CheckConstraint("kind IN ('document','certificate_of_location')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("claim_event.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(300))  # relative to STORAGE_DIR
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    claim: Mapped[Claim] = relationship(back_populates="evidence")
