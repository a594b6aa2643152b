"""The append-only audit trail (F-25): logins, denials, account changes, carnet changes —
hash-chained per chain (an administration, an NGA, the platform) with signed checkpoints of the
chains' heads (portal/domain/audit_chain.py, docs/evidence.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, now_utc


class AuditEvent(Base):
    __tablename__ = "audit_event"
    # the audit trail of one object (a carnet's page, `flask carnet audit`)
    __table_args__ = (
        Index("ix_audit_event_object", "object_type", "object_id"),
        # a chain's events in order; a position taken twice is refused
        Index("ux_audit_event_chain_seq", "chain", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc, index=True)
    customs_id: Mapped[int | None] = mapped_column(
        ForeignKey("customs_administration.id"), index=True
    )
    # who: 'account', 'holder', 'api_client', 'operator', 'system', 'anonymous'
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict | None] = mapped_column(JSON)
    # the hash chain (NULL on events written before chaining began: migration 0010)
    chain: Mapped[str | None] = mapped_column(String(40))  # customs:<id> | nga:<id> | platform
    seq: Mapped[int | None] = mapped_column(Integer)  # position in the chain, from 1
    prev_hash: Mapped[str | None] = mapped_column(String(64))  # the previous event's hash
    hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of this event's content


class AuditChain(Base):
    """The head of one audit chain: locked (the row) by each writer of the chain, so that the
    chain's events follow each other without gaps while other chains are written in parallel."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(40), unique=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")  # the head's prev_hash
    head_hash: Mapped[str] = mapped_column(String(64), default="")


class AuditCheckpoint(Base):
    """A signed statement of every chain's head at a time (`flask audit checkpoint`, the
    scheduler's `audit.checkpoint`): once signed, nothing before it can be rewritten unseen,
    even by someone who can write to the database."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc, index=True)
    heads: Mapped[dict] = mapped_column(JSON)  # {chain: [seq, hash]}
    signature: Mapped[str] = mapped_column(String(120))  # <kid>.<base64url Ed25519>
