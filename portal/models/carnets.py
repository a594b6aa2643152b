"""Carnets and the parties that issue them (F-18, F-20, F-21, F-24).

Carnets are global: one central record, not owned by a customs administration. Holder data,
representatives and the text of the general list are stored encrypted (F-26, see
portal/domain/crypto.py); amounts, counts and dates stay plain so logs, statistics and the
transaction engine can query them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    column,
    exists,
    or_,
    table,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from portal.db import Base, now_utc

__all__ = [
    "NGA",
    "IssuingAssociation",
    "ApiClient",
    "ApiToken",
    "Carnet",
    "GoodsItem",
    "CarnetCountry",
    "CarnetSets",
    "CarnetLink",
    "IdempotencyRecord",
    "CARNET_STATUSES",
    "SET_KINDS",
]

CARNET_STATUSES = ("issued", "active", "cancelled", "blocked", "discharged", "expired")
# one set = one pair of vouchers of a kind
SET_KINDS = ("export_reimport", "import_reexport", "transit")


class NGA(Base):
    """National guaranteeing association: guarantees the carnets its chambers issue."""

    __tablename__ = "nga"

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    website: Mapped[str] = mapped_column(String(254), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    associations: Mapped[list[IssuingAssociation]] = relationship(back_populates="nga")


class IssuingAssociation(Base):
    """A chamber of commerce issuing carnets under an NGA."""

    __tablename__ = "issuing_association"
    __table_args__ = (UniqueConstraint("nga_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nga_id: Mapped[int] = mapped_column(ForeignKey("nga.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    nga: Mapped[NGA] = relationship(back_populates="associations")


class ApiClient(Base):
    """OAuth 2.0 client-credentials client of a machine API (F-18, later F-49).

    `owner_kind` says who the client acts for: 'nga' (a NICS, scoped to `nga_id`) or 'customs'
    (a national customs system, scoped to `customs_id`, for the customs integration API).
    Only a keyed hash of the secret is stored.
    """

    __tablename__ = "api_client"
    __table_args__ = (
        CheckConstraint(
            "(owner_kind = 'nga' AND nga_id IS NOT NULL AND customs_id IS NULL) OR "
            "(owner_kind = 'customs' AND customs_id IS NOT NULL AND nga_id IS NULL)",
            name="owner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    owner_kind: Mapped[str] = mapped_column(String(10))
    nga_id: Mapped[int | None] = mapped_column(ForeignKey("nga.id"), index=True)
    customs_id: Mapped[int | None] = mapped_column(
        ForeignKey("customs_administration.id"), index=True
    )
    scopes: Mapped[str] = mapped_column(String(255))  # space-separated
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    nga: Mapped[NGA | None] = relationship()

    @property
    def scope_set(self) -> set[str]:
        return set(self.scopes.split())


class ApiToken(Base):
    """A short-lived bearer token; only its keyed hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(
        ForeignKey("api_client.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(255))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    client: Mapped[ApiClient] = relationship()


# the recorded paper transactions (portal/models/transition.py PaperTransaction), as far as
# Carnet.paper_validated needs them (that module is loaded after this one)
_PAPER_TXN = table("paper_transaction", column("carnet_id"), column("kind"))


class Carnet(Base):
    """One ATA carnet (F-20). `eata_id` is the public number; `id` is internal."""

    __tablename__ = "carnet"
    __table_args__ = (
        CheckConstraint(
            "status IN ('issued','active','cancelled','blocked','discharged','expired')",
            name="status",
        ),
        CheckConstraint("order_type IN ('original','replacement')", name="order_type"),
        CheckConstraint("format IN ('digital','paper_clone','twin')", name="format"),
        # the chamber portal's list of an association's carnets, newest first (keyset)
        Index("ix_carnet_association_id", "issuing_association_id", "id"),
        # the archive's pick of closed carnets (portal/domain/archive.py): the carnets not
        # archived yet, by end of validity
        Index(
            "ix_carnet_unarchived_valid_until",
            "valid_until",
            "id",
            sqlite_where=text("archived_at IS NULL"),
            postgresql_where=text("archived_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    eata_id: Mapped[int] = mapped_column(Integer, unique=True)
    carnet_number: Mapped[str] = mapped_column(String(32), unique=True)
    carnet_type: Mapped[str] = mapped_column(String(10))  # ATA, CPD
    order_type: Mapped[str] = mapped_column(String(12))
    format: Mapped[str] = mapped_column(String(12))
    nga_id: Mapped[int] = mapped_column(ForeignKey("nga.id"), index=True)
    issuing_association_id: Mapped[int | None] = mapped_column(
        ForeignKey("issuing_association.id"), index=True
    )
    # the country the goods leave from and return to (validation, export, re-import: R-02)
    departure_country: Mapped[str] = mapped_column(ForeignKey("country.code"))
    issue_date: Mapped[dt.date] = mapped_column(Date, index=True)
    valid_until: Mapped[dt.date] = mapped_column(Date, index=True)
    intended_use: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(ForeignKey("currency.code"))
    # encrypted JSON (portal.domain.crypto): {"name", "address": {...}, ...} and a list
    holder_enc: Mapped[str] = mapped_column(Text)
    representatives_enc: Mapped[str] = mapped_column(Text)
    # plain totals for logs and statistics
    item_count: Mapped[int] = mapped_column(Integer)
    total_value: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    total_weight: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))
    status: Mapped[str] = mapped_column(String(12), default="issued", index=True)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    pin_hash: Mapped[str] = mapped_column(String(200))
    created_by_client_pk: Mapped[int | None] = mapped_column(ForeignKey("api_client.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc, onupdate=now_utc)
    # set when the carnet's transactions were moved to the archive tables (closed long ago:
    # portal/domain/archive.py); NULL while they are in the live tables
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    nga: Mapped[NGA] = relationship()
    issuing_association: Mapped[IssuingAssociation | None] = relationship()
    items: Mapped[list[GoodsItem]] = relationship(
        back_populates="carnet", order_by="GoodsItem.item_no", cascade="all, delete-orphan"
    )
    countries: Mapped[list[CarnetCountry]] = relationship(
        order_by="CarnetCountry.country_code", cascade="all, delete-orphan"
    )
    sets: Mapped[list[CarnetSets]] = relationship(
        order_by="CarnetSets.kind", cascade="all, delete-orphan"
    )
    links: Mapped[list[CarnetLink]] = relationship(
        foreign_keys="CarnetLink.carnet_id", cascade="all, delete-orphan"
    )

    # a paper validation is recorded (portal/domain/transition.py record_paper_transaction):
    # loaded on first access only
    paper_validated: Mapped[bool] = column_property(
        exists()
        .where(
            _PAPER_TXN.c.carnet_id == id,
            _PAPER_TXN.c.kind == "validation",
        )
        .correlate_except(_PAPER_TXN),
        deferred=True,
    )

    def effective_status(self, today: dt.date) -> str:
        """The status people see and the life-cycle goes by: the stored status; 'active' for
        an issued carnet whose paper validation is recorded (customs validated it on paper:
        in a digital departure country that stamp does not activate the digital carnet — use
        cases 4 and 6 — yet it is validated: discharged, never cancelled); 'expired' once the
        validity has passed on a live carnet. SQL twin: Carnet.status_is."""
        if self.status in ("issued", "active") and self.valid_until < today:
            return "expired"
        if self.status == "issued" and self.paper_validated:
            return "active"
        return self.status

    @classmethod
    def status_is(cls, status: str, today: dt.date) -> list:
        """WHERE clauses: the carnets whose effective_status on `today` is `status`."""
        live = cls.status.in_(("issued", "active"))
        if status == "expired":
            return [or_(cls.status == "expired", and_(live, cls.valid_until < today))]
        if status == "issued":
            return [cls.status == "issued", ~cls.paper_validated, cls.valid_until >= today]
        if status == "active":
            return [
                or_(cls.status == "active", and_(cls.status == "issued", cls.paper_validated)),
                cls.valid_until >= today,
            ]
        return [cls.status == status]

    def sets_of(self, kind: str) -> CarnetSets | None:
        return next((s for s in self.sets if s.kind == kind), None)


class GoodsItem(Base):
    """A line of the general list (F-21). Description and marks are encrypted."""

    __tablename__ = "goods_item"
    __table_args__ = (
        UniqueConstraint("carnet_id", "item_no"),
        CheckConstraint("pieces > 0", name="pieces_positive"),
        CheckConstraint("value > 0", name="value_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id", ondelete="CASCADE"), index=True)
    item_no: Mapped[int] = mapped_column(Integer)
    pieces: Mapped[int] = mapped_column(Integer)
    description_enc: Mapped[str] = mapped_column(Text)
    marks_enc: Mapped[str | None] = mapped_column(Text)
    origin_country: Mapped[str] = mapped_column(ForeignKey("country.code"))
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))  # weight or volume
    unit: Mapped[str | None] = mapped_column(String(8))  # kg, g, t, l, m3

    carnet: Mapped[Carnet] = relationship(back_populates="items")


class CarnetCountry(Base):
    """Box P: a country where the carnet is valid."""

    __tablename__ = "carnet_country"

    carnet_id: Mapped[int] = mapped_column(
        ForeignKey("carnet.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), primary_key=True)


class CarnetSets(Base):
    """Sets of one kind: how many were issued and how many are left for new travels (R-09)."""

    __tablename__ = "carnet_sets"
    __table_args__ = (
        UniqueConstraint("carnet_id", "kind"),
        CheckConstraint("remaining >= 0 AND remaining <= issued", name="remaining"),
        CheckConstraint("kind IN ('export_reimport','import_reexport','transit')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    issued: Mapped[int] = mapped_column(Integer, default=0)
    remaining: Mapped[int] = mapped_column(Integer, default=0)


class CarnetLink(Base):
    """A link from a carnet to another: 'replaces' (replacement → original), 'twin' (digital
    twin ↔ paper carnet) or 'paper_clone' (digital clone of a paper carnet). The other carnet
    may live outside the system (a paper carnet): then only `linked_number` is set."""

    __tablename__ = "carnet_link"
    __table_args__ = (
        UniqueConstraint("carnet_id", "kind", "linked_number"),
        CheckConstraint("kind IN ('replaces','replaced_by','twin','paper_clone')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    linked_carnet_id: Mapped[int | None] = mapped_column(ForeignKey("carnet.id"), index=True)
    linked_number: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    linked_carnet: Mapped[Carnet | None] = relationship(foreign_keys=[linked_carnet_id])


class IdempotencyRecord(Base):
    """The first response to a POST carrying an Idempotency-Key, per API client (F-24, R-11).

    Stored in the same database transaction as the change it answers, so a replay either finds
    the finished result or the change never happened. The response is stored encrypted: the
    answer to an issuance holds the download PIN, which must not sit in the database in clear.
    Records older than a day are purged (`flask api-client purge-idempotency`)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("client_pk", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc, index=True)
