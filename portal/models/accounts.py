"""Regions, offices and customs accounts: the private account database of an administration."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from portal.db import Base, now_utc


class TenantOwned:
    """Marker for tables that belong to one customs administration (scoped by `customs_id`)."""

    @declared_attr
    def customs_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("customs_administration.id"), index=True)


class Region(TenantOwned, Base):
    __tablename__ = "region"
    __table_args__ = (UniqueConstraint("customs_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class Office(TenantOwned, Base):
    __tablename__ = "office"
    __table_args__ = (UniqueConstraint("customs_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    code: Mapped[str | None] = mapped_column(String(32))  # national office reference, optional
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    is_administrative: Mapped[bool] = mapped_column(Boolean, default=False)
    is_sea_port: Mapped[bool] = mapped_column(Boolean, default=False)
    is_airport: Mapped[bool] = mapped_column(Boolean, default=False)
    is_land_port: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    region: Mapped[Region] = relationship()


class Account(TenantOwned, Base):
    """A customs user. Emails are unique within an administration, not across them."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("customs_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # stored lower-case
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # officer | controller | regional_manager | admin
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    # the language the account chose (F-83); None: its administration's default language
    language: Mapped[str | None] = mapped_column(String(5))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # MFA (F-12): method is None, 'totp' or 'email'
    mfa_method: Mapped[str | None] = mapped_column(String(10))
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)  # encrypted with the data key
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)  # refuses TOTP replays
    mfa_email: Mapped[str | None] = mapped_column(String(254))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    region: Mapped[Region | None] = relationship()
    office: Mapped[Office | None] = relationship()

    # flask-login's user protocol, without importing Flask into the models: the id it stores in
    # the cookie is the server-side session id, set by the loader (portal/login.py)
    actor_type = "account"
    session_id = None  # type: str | None
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"c:{self.session_id}"
