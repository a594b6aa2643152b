"""The issuing associations' staff (chamber.<domain>, docs/transition.md "The chamber portal"):
their accounts, login sessions and invitation links. The tenant of a staff member is their
issuing association; they see only its carnets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, now_utc
from portal.models.carnets import IssuingAssociation

__all__ = ["ChamberStaff", "ChamberSession", "ChamberToken"]

STAFF_ROLES = ("admin", "staff")  # admin: also invites colleagues


class ChamberStaff(Base):
    """A person of an issuing association: password and TOTP, always both."""

    __tablename__ = "chamber_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("issuing_association.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-case
    full_name: Mapped[str] = mapped_column(String(200))
    # not `role`: the customs pages read `role` as a customs account's (permissions, menus)
    staff_role: Mapped[str] = mapped_column(String(10), default="staff")  # STAFF_ROLES
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None until the invitation
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)  # encrypted with the data key
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)  # refuses TOTP replays
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    invited_by: Mapped[str] = mapped_column(String(254), default="")
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    # the language the person chose (F-83, the language switch); None: the browser's
    language: Mapped[str | None] = mapped_column(String(5))

    association: Mapped[IssuingAssociation] = relationship()

    # flask-login's user protocol (the loader sets session_id; portal/blueprints/chamber)
    actor_type = "chamber_staff"
    session_id = None  # type: str | None
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"s:{self.session_id}"


class ChamberSession(Base):
    """One staff login; `mfa_at` is set once the TOTP code was given (nothing before)."""

    __tablename__ = "chamber_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("chamber_staff.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    mfa_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ip: Mapped[str | None] = mapped_column(String(64))

    staff: Mapped[ChamberStaff] = relationship()


class ChamberToken(Base):
    """A single-use invitation link of a staff account; only its keyed hash is stored."""

    __tablename__ = "chamber_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("chamber_staff.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
