"""Server-side login sessions and single-use tokens (F-10 … F-12)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, now_utc
from portal.models.accounts import Account, TenantOwned

__all__ = ["UserSession", "AccountToken", "RecoveryCode", "EmailOtp", "SsoProvider", "SsoIdentity"]


class UserSession(Base):
    """One login. The cookie carries only the random `id`; revoking the row ends the session
    wherever its cookie has been copied to (logout, password change, account disabled)."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, url-safe
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    # when the password was last typed in this session: re-authentication for MFA/email changes
    password_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    account: Mapped[Account] = relationship()


class AccountToken(Base):
    """A single-use link token (invitation, password reset, email OTP). Only its keyed hash is
    stored; `used_at` makes it single-use."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))  # 'invite' | 'reset' | 'email'
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # purpose 'email': the new login email, confirmed by opening the link sent to it
    new_email: Mapped[str | None] = mapped_column(String(254))

    account: Mapped[Account] = relationship()


class RecoveryCode(Base):
    """One of an account's ten backup codes (F-12): shown once, stored as a keyed hash, usable once."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class EmailOtp(Base):
    """A six-digit code emailed to the account's alternative address (F-12). Only the keyed hash is
    stored; it expires after ten minutes and dies after a few wrong attempts."""

    __tablename__ = "email_otp"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    sent_to: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class SsoProvider(TenantOwned, Base):
    """The OpenID Connect provider an administration federates (F-19): at most one each. The
    client secret is encrypted at rest (portal/domain/crypto.py, bound to this row)."""

    __tablename__ = "sso_provider"
    __table_args__ = (UniqueConstraint("customs_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str] = mapped_column(String(80))  # the login button: "Log in with …"
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_enc: Mapped[str] = mapped_column(Text)
    allowed_domains: Mapped[str] = mapped_column(Text, default="")  # lower-case, one per line
    builtin_login: Mapped[bool] = mapped_column(Boolean, default=True)
    trust_mfa: Mapped[bool] = mapped_column(Boolean, default=False)
    mfa_acr_values: Mapped[str] = mapped_column(Text, default="")  # one per line
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class SsoIdentity(TenantOwned, Base):
    """An account's identity at its administration's provider: (issuer, subject), bound at the
    first SSO login by verified email; afterwards the subject alone decides."""

    __tablename__ = "sso_identity"
    __table_args__ = (
        UniqueConstraint("customs_id", "issuer", "subject"),
        UniqueConstraint("account_id", "issuer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    account: Mapped[Account] = relationship()
