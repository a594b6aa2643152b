"""The holder wallet's own tables (F-17, F-30, F-35): credentials, server-side sessions,
single-use email tokens and voucher share links. The holder's identity is `Holder`
(portal/models/transactions.py); wrong carnet-PIN guesses use `GuessThrottle`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, now_utc
from portal.models.transactions import Holder, Voucher

__all__ = ["HolderCredential", "HolderSession", "HolderToken", "VoucherShare"]


class HolderCredential(Base):
    """How a holder signs in: password (argon2id), wallet PIN (argon2id), optional TOTP
    (encrypted secret), the email confirmation and the login lock-out."""

    __tablename__ = "holder_credential"

    holder_id: Mapped[int] = mapped_column(
        ForeignKey("holder.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str] = mapped_column(String(200))
    pin_hash: Mapped[str] = mapped_column(String(200))
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)
    email_confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)

    holder: Mapped[Holder] = relationship()


class HolderSession(Base):
    """A server-side wallet session; the cookie holds only its random id (as "h:<id>").
    `mfa_pending` until the TOTP step is passed; the wallet is unlocked while `unlocked_at`
    (refreshed by activity) is within the idle time."""

    __tablename__ = "holder_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("holder.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    unlocked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    mfa_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    holder: Mapped[Holder] = relationship()


class HolderToken(Base):
    """A single-use emailed link (email confirmation): only its keyed hash is stored."""

    __tablename__ = "holder_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("holder.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class VoucherShare(Base):
    """A link that shows one voucher to a representative (F-35): random token, keyed hash
    stored, expiring, revocable."""

    __tablename__ = "voucher_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(
        ForeignKey("voucher.id", ondelete="CASCADE"), index=True
    )
    holder_id: Mapped[int] = mapped_column(ForeignKey("holder.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    voucher: Mapped[Voucher] = relationship()
