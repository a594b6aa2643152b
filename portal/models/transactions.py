"""Holders, travels, vouchers, transactions, holds, rejections, cancellations (F-30 … F-48).

Carnets and transactions are global (one central record); each customs territory sees them
through the visibility rule (portal/domain/visibility.py). Holds, rejections and transactions
carry the territory, administration and office they were made in, as plain columns: they are
deliberately *not* TenantOwned, because a hold made in Belgium must block France (same EU
territory, R-03) even when the session is scoped to the French administration.

Codes (transaction, verification, cancellation) are stored as a keyed hash for look-up and,
where the holder must see them again, encrypted with the data key (portal/domain/crypto.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, now_utc

__all__ = [
    "Holder",
    "WalletCarnet",
    "Signature",
    "Travel",
    "TravelItem",
    "Voucher",
    "Transaction",
    "TransactionItem",
    "Hold",
    "Rejection",
    "Cancellation",
    "HolderNotification",
    "GuessThrottle",
    "VOUCHER_KINDS",
    "TRANSACTION_KINDS",
    "TRANSACTION_LINES",
]

VOUCHER_KINDS = (
    "validation",
    "export",
    "import",
    "reexport",
    "reimport",
    "transit_open",
    "transit_close",
)
# a pre-exportation is the first step of an EU two-step exportation (F-42)
TRANSACTION_KINDS = VOUCHER_KINDS + ("pre_export",)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ",".join(f"'{v}'" for v in values) + ")"


class Holder(Base):
    """A wallet user (F-17): the minimal identity the engine needs; the wallet extends it."""

    __tablename__ = "holder"
    __table_args__ = (CheckConstraint("kind IN ('company','private')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="private")
    company_name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(20), default="")
    given_names: Mapped[str] = mapped_column(String(120))
    surname: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    state: Mapped[str] = mapped_column(String(120), default="")
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"))  # residence, fixed
    phone: Mapped[str] = mapped_column(String(40), default="")
    # the wallet's language and time zone the holder chose (F-83); None: the browser's / UTC
    language: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    @property
    def legal_name(self) -> str:
        return " ".join(p for p in (self.given_names, self.surname) if p).strip()


class WalletCarnet(Base):
    """A carnet downloaded into a holder's wallet (F-30), and its first-use acceptance (F-31)."""

    __tablename__ = "wallet_carnet"
    __table_args__ = (UniqueConstraint("holder_id", "carnet_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("holder.id", ondelete="CASCADE"), index=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id", ondelete="CASCADE"), index=True)
    downloaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    holder: Mapped[Holder] = relationship()


class Signature(Base):
    """A holder's signature by legal name (F-31): of the general list and liability (first
    use), or of one travel's declaration. Customs see who signed and when."""

    __tablename__ = "signature"
    __table_args__ = (CheckConstraint("kind IN ('general_list','declaration')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id", ondelete="CASCADE"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("holder.id"), index=True)
    travel_id: Mapped[int | None] = mapped_column(ForeignKey("travel.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    signed_name: Mapped[str] = mapped_column(String(250))
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class Travel(Base):
    """A prepared travel (F-32): the declaration a holder makes before reaching customs."""

    __tablename__ = "travel"
    __table_args__ = (
        CheckConstraint("transport_mode IN ('air','sea','land')", name="transport_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("holder.id"), index=True)
    nickname: Mapped[str] = mapped_column(String(120), default="")
    departure_country: Mapped[str] = mapped_column(ForeignKey("country.code"))
    destination_country: Mapped[str] = mapped_column(ForeignKey("country.code"))
    transit_countries: Mapped[list] = mapped_column(JSON, default=list)
    location: Mapped[str] = mapped_column(String(200), default="")
    transport_mode: Mapped[str] = mapped_column(String(5))
    extra_details: Mapped[str] = mapped_column(String(500), default="")
    packaging_details: Mapped[str] = mapped_column(String(500), default="")
    # the sets this travel consumed, {kind: count}: exactly what deleting it gives back
    sets_consumed: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc, onupdate=now_utc)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    items: Mapped[list[TravelItem]] = relationship(
        back_populates="travel", order_by="TravelItem.item_no", cascade="all, delete-orphan"
    )
    vouchers: Mapped[list[Voucher]] = relationship(
        back_populates="travel", order_by="Voucher.position"
    )


class TravelItem(Base):
    __tablename__ = "travel_item"
    __table_args__ = (
        UniqueConstraint("travel_id", "goods_item_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    travel_id: Mapped[int] = mapped_column(ForeignKey("travel.id", ondelete="CASCADE"), index=True)
    goods_item_id: Mapped[int] = mapped_column(ForeignKey("goods_item.id"))
    item_no: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)

    travel: Mapped[Travel] = relationship(back_populates="items")


class Voucher(Base):
    """One transaction a travel implies (F-33), with its transaction code.

    state: open → (pre_exported →) used; back to open when its transaction is cancelled;
    void when its travel is deleted or replaced by an edit. `lock_seq` is bumped by the
    commit to take the row lock on SQLite, where FOR UPDATE does not exist."""

    __tablename__ = "voucher"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(VOUCHER_KINDS)}", name="kind"),
        CheckConstraint("state IN ('open','pre_exported','used','void')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    travel_id: Mapped[int] = mapped_column(ForeignKey("travel.id"), index=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(14))
    # the country the transaction is meant for; any office of that customs territory may
    # commit it (the EU is one territory)
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"))
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("customs_territory.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_enc: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(14), default="open")
    lock_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    travel: Mapped[Travel] = relationship(back_populates="vouchers")


class Transaction(Base):
    """A committed voucher (F-41): where, by whom, the fields of its kind, and its codes."""

    __tablename__ = "carnet_transaction"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(TRANSACTION_KINDS)}", name="kind"),
        CheckConstraint("state IN ('committed','cancelled')", name="state"),
        Index("ix_transaction_carnet_committed", "carnet_id", "committed_at"),
        Index("ix_transaction_office_committed", "office_id", "committed_at"),
        # the Logs Transactions list (newest first, keyset cursor) and a territory's own by time
        Index("ix_transaction_committed_id", "committed_at", "id"),
        Index("ix_transaction_territory_committed", "territory_id", "committed_at"),
        Index("ix_transaction_reference", "reference"),  # the Logs search box
        # the Transactions tab's "Cancelled" filter: few rows, newest first
        Index(
            "ix_transaction_cancelled",
            "committed_at",
            "id",
            sqlite_where=text("state = 'cancelled'"),
            postgresql_where=text("state = 'cancelled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id"))
    kind: Mapped[str] = mapped_column(String(14))
    state: Mapped[str] = mapped_column(String(10), default="committed")
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"), index=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"))
    customs_id: Mapped[int | None] = mapped_column(
        ForeignKey("customs_administration.id"), index=True
    )
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    officer_name: Mapped[str] = mapped_column(String(200), default="")
    office_name: Mapped[str] = mapped_column(String(160), default="")
    committed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    # per kind (F-41)
    goods_examined: Mapped[bool | None] = mapped_column(Boolean)  # validation
    # export: duty-free re-importation; import: re-exportation; transit open: production
    final_date: Mapped[dt.date | None] = mapped_column(Date)
    customs_seals: Mapped[str] = mapped_column(String(300), default="")  # transit open
    action_not_reexported: Mapped[str] = mapped_column(Text, default="")  # re-export
    action_not_produced: Mapped[str] = mapped_column(Text, default="")  # re-export
    reference: Mapped[str] = mapped_column(String(100), default="")
    remarks: Mapped[str] = mapped_column(Text, default="")
    # the travel's holder-filled fields as committed (the officer may amend them at step 3:
    # transactions.amend_travel); NULL on transactions committed before they were recorded
    transport_mode: Mapped[str | None] = mapped_column(String(5))
    packaging_details: Mapped[str | None] = mapped_column(String(500))
    holder_remarks: Mapped[str | None] = mapped_column(String(500))
    # who signed the declaration (F-31), copied from the travel's signature
    signed_name: Mapped[str] = mapped_column(String(250), default="")
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    verification_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    verification_code_enc: Mapped[str] = mapped_column(Text)
    cancellation_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    cancellation_code_enc: Mapped[str] = mapped_column(Text)
    # keyed hash of the wizard's one-time commit token or the API's Idempotency-Key
    commit_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # the receipt's Ed25519 signature "<kid>.<base64url>" over its canonical content
    # (portal/domain/evidence.py; NULL on transactions committed before receipts were signed)
    receipt_signature: Mapped[str | None] = mapped_column(String(120))

    items: Mapped[list[TransactionItem]] = relationship(
        back_populates="transaction", order_by="TransactionItem.id", cascade="all, delete-orphan"
    )
    voucher: Mapped[Voucher] = relationship()


TRANSACTION_LINES = ("cleared", "not_reimported", "processed_abroad", "not_reexported")


class TransactionItem(Base):
    """A line of a transaction: `cleared` goods, or on a re-importation the goods `not_reimported`
    (diverted to home use abroad) and the goods `processed_abroad`, or on a re-exportation the
    goods `not_reexported` (diverted to home use in the territory of importation)."""

    __tablename__ = "transaction_item"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(f"line IN {_in(TRANSACTION_LINES)}", name="line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("carnet_transaction.id", ondelete="CASCADE"), index=True
    )
    goods_item_id: Mapped[int] = mapped_column(ForeignKey("goods_item.id"), index=True)
    item_no: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    line: Mapped[str] = mapped_column(String(16), default="cleared")

    transaction: Mapped[Transaction] = relationship(back_populates="items")


class Hold(Base):
    """A hold (F-46): blocks every other transaction on the carnet in the same customs
    territory (R-03) until an officer of the same office releases it."""

    __tablename__ = "hold"
    __table_args__ = (Index("ix_hold_carnet_territory", "carnet_id", "territory_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id"))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"))
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"), index=True)
    customs_id: Mapped[int] = mapped_column(ForeignKey("customs_administration.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    held_by: Mapped[str] = mapped_column(String(200), default="")
    office_name: Mapped[str] = mapped_column(String(160), default="")
    reason: Mapped[str] = mapped_column(String(1000))
    # the customs reference the officer gave when holding (a case or seizure number)
    reference: Mapped[str] = mapped_column(String(100), default="", server_default="")
    held_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    released_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
    released_by: Mapped[str] = mapped_column(String(200), default="")


class Rejection(Base):
    """A declaration rejected at steps 2–4 (F-44a): nothing committed, voucher not used up; the
    reason is visible to that territory only."""

    __tablename__ = "rejection"

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id"), index=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"), index=True)
    customs_id: Mapped[int] = mapped_column(ForeignKey("customs_administration.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    officer_name: Mapped[str] = mapped_column(String(200), default="")
    office_name: Mapped[str] = mapped_column(String(160), default="")
    reason: Mapped[str] = mapped_column(String(1000))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class Cancellation(Base):
    """The record of a cancelled transaction (F-44, R-05): never a deletion."""

    __tablename__ = "cancellation"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("carnet_transaction.id"), unique=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("customs_territory.id"))
    customs_id: Mapped[int] = mapped_column(ForeignKey("customs_administration.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    officer_name: Mapped[str] = mapped_column(String(200), default="")
    office_name: Mapped[str] = mapped_column(String(160), default="")
    reason: Mapped[str] = mapped_column(String(1000))
    # indexed: the statistics read the cancellations since the last reconciliation run
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc, index=True)


class HolderNotification(Base):
    """What the wallet's notifications tab shows (F-34); written with the commit, rejection or
    cancellation, and signalled by an outbox message."""

    __tablename__ = "holder_notification"
    __table_args__ = (Index("ix_holder_notification_holder_created", "holder_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("holder.id", ondelete="CASCADE"))
    carnet_id: Mapped[int] = mapped_column(ForeignKey("carnet.id"))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"))
    # no foreign key: the transaction may have moved to the archive (same id; portal/domain/archive.py)
    transaction_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # committed | rejected | cancelled
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class GuessThrottle(Base):
    """Failed guesses of a code per subject ("carnet:<id>", "client:<key>", …) in the current
    window, and the lock-out that follows too many (R-10)."""

    __tablename__ = "guess_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(120), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
