"""Background jobs a user waits for, and the outbox of side effects drained after commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, now_utc

__all__ = ["Job", "OutboxMessage", "JOB_FINAL_STATES"]

JOB_FINAL_STATES = ("done", "failed")


class Job(Base):
    """One run of a background job: what the progress bar polls and the result report reads.

    `customs_id` is empty for system jobs (daily runs); pages look jobs up within their
    administration, so another administration's job is a 404.
    """

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    customs_id: Mapped[int | None] = mapped_column(
        ForeignKey("customs_administration.id"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued|running|done|failed
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(300), default="")
    params: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    result_path: Mapped[str | None] = mapped_column(String(300))  # relative to STORAGE_DIR
    error: Mapped[str | None] = mapped_column(Text)
    rq_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    @property
    def is_final(self) -> bool:
        return self.status in JOB_FINAL_STATES

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        if not self.total:
            return 0
        return min(100, int(100 * self.progress / self.total))


class OutboxMessage(Base):
    """A side effect (email, later holder notification) written in the caller's transaction and
    sent after commit by the drain job, so an SMTP or Redis outage delays it but loses nothing.

    kind 'email' carries its rendered message; kind 'account_invitation' carries the account id
    and is rendered when sent, so no raw token is ever stored.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    customs_id: Mapped[int | None] = mapped_column(
        ForeignKey("customs_administration.id"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(
        String(10), default="pending"
    )  # pending|sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
