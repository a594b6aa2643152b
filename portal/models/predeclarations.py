"""Pre-notifications and pre-declarations (F-36, F-50 … F-52): what a holder tells a chosen
customs office in advance about one voucher of a prepared travel, and what customs did with it.

The row belongs to the administration of the office it is addressed to (`TenantOwned`): the
customs list, the customs API and every look-up by id are scoped to it. The representative
(name, EORI/ID, city, country) is encrypted at rest like the carnet's contents
(portal/domain/crypto.py). `version` is bumped by every change: it is the row lock on SQLite
(an UPDATE takes the database's write lock) and the wallet's live fingerprint.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, now_utc
from portal.models.accounts import TenantOwned

__all__ = ["Predeclaration", "PredeclarationAttachment", "PREDECLARATION_STATES", "OPEN_STATES"]

PREDECLARATION_STATES = ("pending", "acknowledged", "rejected", "committed", "withdrawn")
# a voucher has at most one open pre-declaration (pending or acknowledged)
OPEN_STATES = ("pending", "acknowledged")
_OPEN = "state IN ('pending','acknowledged')"


class Predeclaration(TenantOwned, Base):
    """option: '' = pre-notification with the carnet's details; 'notification_only' = without
    them; 'automatic' = pre-declaration ("allow automatic transaction": customs may commit)."""

    __tablename__ = "predeclaration"
    __table_args__ = (
        CheckConstraint(
            "state IN ('pending','acknowledged','rejected','committed','withdrawn')", name="state"
        ),
        CheckConstraint("option IN ('','notification_only','automatic')", name="option"),
        CheckConstraint("carriage IN ('cargo','hand_carry')", name="carriage"),
        CheckConstraint("transport_mode IN ('air','sea','land')", name="transport_mode"),
        Index("ix_predeclaration_customs_created", "customs_id", "created_at"),
        Index(
            "uq_predeclaration_open_voucher",
            "voucher_id",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id"), index=True)
    travel_id: Mapped[int] = mapped_column(ForeignKey("travel.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("holder.id"), index=True)
    kind: Mapped[str] = mapped_column(String(14))  # the voucher's transaction kind
    option: Mapped[str] = mapped_column(String(20), default="")
    # the expected arrival, in the office's local time as the holder typed it
    expected_at: Mapped[dt.datetime] = mapped_column(DateTime)
    carriage: Mapped[str] = mapped_column(String(10))
    shipment_number: Mapped[str] = mapped_column(String(100), default="")
    transport_mode: Mapped[str] = mapped_column(String(5))
    transport_id: Mapped[str] = mapped_column(String(100), default="")
    representative_enc: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(14), default="pending", index=True)
    reason: Mapped[str] = mapped_column(String(1000), default="")
    acted_by: Mapped[str] = mapped_column(String(200), default="")
    acted_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    acted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # no foreign key: the transaction may have moved to the archive (same id; portal/domain/archive.py)
    transaction_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_predeclaration(self) -> bool:
        return self.option == "automatic"


class PredeclarationAttachment(Base):
    """A document the holder attached to a pre-declaration (F-50: PDF or images, size-limited):
    it passed portal/domain/uploads.py and is stored under STORAGE_DIR (outside the web root).
    Reached only through its pre-declaration (tenant-scoped)."""

    __tablename__ = "predeclaration_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    predeclaration_id: Mapped[int] = mapped_column(
        ForeignKey("predeclaration.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(200))  # relative to STORAGE_DIR
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
