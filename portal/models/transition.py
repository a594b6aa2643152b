"""The global transition (F-70 … F-74, F-37): the history of each country's ATA status and the
paper transactions a digital office records on a carnet (docs/transition.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, now_utc

__all__ = ["AtaStatusChange", "CoverPage", "PaperTransaction", "STATUS_CHANGES", "PAPER_KINDS"]

# provisional: a digital date announced, not yet confirmed (Customs Preparation Guide step 1);
# digital: the date confirmed (step 5, at least three months ahead); paper: the date withdrawn
STATUS_CHANGES = ("provisional", "digital", "paper")
PAPER_KINDS = (
    "validation",
    "export",
    "import",
    "reexport",
    "reimport",
    "transit_open",
    "transit_close",
)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ",".join(f"'{v}'" for v in values) + ")"


class AtaStatusChange(Base):
    """One change of a country's ATA status (F-70), never updated: the country's history."""

    __tablename__ = "ata_status_change"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(STATUS_CHANGES)}", name="status"),
        Index("ix_ata_status_change_country", "country_code", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"))
    status: Mapped[str] = mapped_column(String(12))
    digital_from: Mapped[dt.date | None] = mapped_column(Date)
    # when WCO / ICC received the notification (the three months run from it)
    notified_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class PaperTransaction(Base):
    """A transaction made on the paper carnet, recorded by a digital office so the carnet's
    history is whole (F-72, F-74): kind, where and when, the counterfoil/voucher number."""

    __tablename__ = "paper_transaction"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(PAPER_KINDS)}", name="kind"),
        Index("ix_paper_transaction_carnet", "carnet_id", "made_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id"))
    kind: Mapped[str] = mapped_column(String(14))
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"))
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"))
    office_name: Mapped[str] = mapped_column(String(160))
    made_on: Mapped[dt.date] = mapped_column(Date)
    counterfoil_no: Mapped[str] = mapped_column(String(40))
    remarks: Mapped[str] = mapped_column(Text, default="")
    # who recorded it: a customs office (its administration, account) or an issuing chamber
    customs_id: Mapped[int | None] = mapped_column(
        ForeignKey("customs_administration.id"), index=True
    )
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    recorded_by: Mapped[str] = mapped_column(String(254), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class CoverPage(Base):
    """The validated paper cover page of a carnet activated in a paper country (F-37, use case
    2): an image or PDF that passed portal/domain/uploads.py, stored under STORAGE_DIR."""

    __tablename__ = "cover_page"
    __table_args__ = (
        CheckConstraint(
            "uploaded_by_kind IN ('holder','api_client','chamber')", name="uploaded_by_kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id"), index=True)
    filename: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(200))  # relative to STORAGE_DIR
    uploaded_by_kind: Mapped[str] = mapped_column(String(12))
    uploaded_by: Mapped[str] = mapped_column(String(254), default="")
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
