"""Customs territories, countries, currencies and customs administrations (F-01 … F-04)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, now_utc


class CustomsTerritory(Base):
    """A customs territory: most countries are their own; the 27 EU members form `EU`."""

    __tablename__ = "customs_territory"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Country(Base):
    """ISO 3166 country, its customs territory and its ATA status (F-04, F-70)."""

    __tablename__ = "country"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("customs_territory.id"), index=True)
    # 'none' (not an ATA country), 'paper' or 'digital' (from digital_from)
    ata_status: Mapped[str] = mapped_column(String(10), default="none")
    digital_from: Mapped[dt.date | None] = mapped_column(Date)
    status_notified_on: Mapped[dt.date | None] = mapped_column(Date)
    # a digital date announced but not confirmed yet (F-70): the country is still paper
    provisional_from: Mapped[dt.date | None] = mapped_column(Date)

    territory: Mapped[CustomsTerritory | None] = relationship()

    def is_digital_on(self, day: dt.date) -> bool:
        return (
            self.ata_status == "digital"
            and self.digital_from is not None
            and self.digital_from <= day
        )


class Currency(Base):
    __tablename__ = "currency"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class CustomsAdministration(Base):
    """One tenant of the customs portal, reached at customs-<code>.<domain> (F-01, F-02)."""

    __tablename__ = "customs_administration"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(2))  # lower-case ISO country code
    name: Mapped[str] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"))
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # the default language of its accounts and of its pages before login (F-83)
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    mfa_mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    invitation_days: Mapped[int] = mapped_column(Integer, default=14)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    territory: Mapped[CustomsTerritory] = relationship()
    country: Mapped[Country] = relationship()
