"""Bulk creation from Excel (F-16): the cleaning session of one admin and one object kind."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, now_utc
from portal.models.accounts import TenantOwned

__all__ = ["BulkSession", "BulkRow"]


class BulkSession(TenantOwned, Base):
    """The uploaded rows of one admin for one kind ('region', 'office', 'account'). Stored in the
    database so it survives a reload and a restart; a new upload replaces it."""

    __tablename__ = "bulk_session"
    __table_args__ = (UniqueConstraint("account_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(10), default="cleaning")  # cleaning|importing
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_count: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    rows: Mapped[list[BulkRow]] = relationship(
        back_populates="bulk_session", cascade="all, delete-orphan", passive_deletes=True
    )


class BulkRow(Base):
    """One row of the uploaded sheet: the values as typed (strings) and the error per column."""

    __tablename__ = "bulk_row"
    __table_args__ = (Index("ix_bulk_row_order", "bulk_session_id", "has_errors", "row_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulk_session_id: Mapped[int] = mapped_column(ForeignKey("bulk_session.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)  # the row in the sheet (header is row 1)
    data: Mapped[dict] = mapped_column(JSON)
    errors: Mapped[dict | None] = mapped_column(JSON)
    has_errors: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_id: Mapped[int | None] = mapped_column(Integer)  # the created object, once imported

    bulk_session: Mapped[BulkSession] = relationship(back_populates="rows")
