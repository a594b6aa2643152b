"""Carnets in the wallet (F-30, F-31): download with PIN or QR, the holder's carnets, vouchers
and their state (F-33, F-34), notifications.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import DomainError, NotFound, archive, audit
from portal.domain.carnets import verify_download_pin
from portal.domain.travels import add_to_wallet, get_travel
from portal.domain.vouchers import TooManyGuesses, check_not_locked, failed_guess, find_carnet
from portal.i18n import fmt_time
from portal.models import (
    Carnet,
    Holder,
    HolderNotification,
    Rejection,
    Transaction,
    Voucher,
    WalletCarnet,
)

DOWNLOAD_FAILED = _l(
    "The carnet ID or number and the PIN do not match: check both (the PIN is "
    "the 8-digit code your issuing association gave you) and try again."
)

# --- carnets in the wallet (F-30, F-31) ----------------------------------------------------------


def parse_download_qr(text: str) -> tuple[str, str]:
    """(carnet reference, PIN) from a download QR: "EATA-DL:<eata id>:<pin>", JSON-ish or any
    text holding the ID (or number) and the PIN separated by spaces, colons or semicolons."""
    text = (text or "").strip()
    if text.upper().startswith("EATA-DL:"):
        text = text[8:]
    parts = [p for p in re.split(r"[\s:;,|{}\"']+", text) if p]
    parts = [
        p
        for p in parts
        if p.lower() not in ("eata_id", "id", "pin", "carnet", "carnet_number", "number")
    ]
    if len(parts) != 2 or not parts[1].isdigit():
        raise DomainError(
            _("This QR code does not hold a carnet ID and PIN: type them instead."), field="qr_text"
        )
    return parts[0], parts[1]


def _check_download_lock(session: Session, subjects: list[str], now: dt.datetime) -> None:
    try:
        check_not_locked(session, subjects, now)
    except TooManyGuesses as err:
        err.message = _(
            "Too many wrong PINs for this carnet or from your account: downloading "
            "is blocked until %(time)s. If you lost the PIN, ask your issuing association.",
            time=fmt_time(err.until, "HH:mm zzz"),
        )
        err.field = "pin"
        err.args = (err.message,)
        raise


def download_carnet(
    session: Session,
    holder: Holder,
    ref: str,
    pin: str,
    *,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Carnet:
    """Put a carnet into the wallet with its eATA ID (or number) and download PIN (F-30).
    Wrong PINs are counted per carnet and per holder and lock out (R-10); each is audited."""
    now = now or now_utc()
    ref = (ref or "").strip().upper()[:40]
    if not ref:
        raise DomainError(_("Give the eATA ID or the carnet number."), field="carnet_ref")
    carnet = find_carnet(session, ref)
    subjects = [
        f"carnet:download:{carnet.id if carnet is not None else 'ref:' + ref}"[:120],
        f"holder:download:{holder.id}",
    ]
    _check_download_lock(session, subjects, now)
    pin = (pin or "").strip()
    found = verify_download_pin(session, carnet.eata_id if carnet is not None else 0, pin)
    if found is None:
        failed_guess(
            session,
            "carnet.download_failed",
            subjects,
            now=now,
            data={"carnet_ref": ref},
            actor_type="holder",
            actor_id=holder.id,
            actor_label=holder.email,
            ip=ip,
            object_type="carnet",
            object_id=carnet.eata_id if carnet is not None else None,
        )
        _check_download_lock(session, subjects, now)
        raise DomainError(str(DOWNLOAD_FAILED), field="pin", code="download_failed")
    already = (
        session.scalar(
            select(WalletCarnet.id).where(
                WalletCarnet.holder_id == holder.id, WalletCarnet.carnet_id == found.id
            )
        )
        is not None
    )
    add_to_wallet(session, holder, found)
    if not already:
        audit.by_holder(
            session,
            "carnet.downloaded",
            holder,
            object_type="carnet",
            object_id=found.eata_id,
            ip=ip,
        )
    session.flush()
    return found


def wallet_carnets(session: Session, holder: Holder) -> list[tuple[WalletCarnet, Carnet]]:
    return list(
        session.execute(
            select(WalletCarnet, Carnet)
            .join(Carnet, Carnet.id == WalletCarnet.carnet_id)
            .where(WalletCarnet.holder_id == holder.id)
            .order_by(WalletCarnet.downloaded_at.desc(), WalletCarnet.id.desc())
        ).tuples()
    )


def wallet_carnet(session: Session, holder: Holder, carnet_id: int) -> tuple[WalletCarnet, Carnet]:
    """A carnet of the holder's wallet; another holder's carnet is not found."""
    row = session.execute(
        select(WalletCarnet, Carnet)
        .join(Carnet, Carnet.id == WalletCarnet.carnet_id)
        .where(WalletCarnet.holder_id == holder.id, Carnet.id == carnet_id)
    ).first()
    if row is None:
        raise NotFound(_("This carnet is not in your wallet."))
    return row[0], row[1]


# --- vouchers and their state (F-33, F-34) -------------------------------------------------------


def holder_voucher(session: Session, holder: Holder, voucher_id: int) -> Voucher:
    voucher = session.get(Voucher, voucher_id)
    if voucher is None or voucher.state == "void":
        raise NotFound(_("No such voucher."))
    get_travel(session, holder, voucher.travel_id)  # NotFound unless the carnet is in the wallet
    return voucher


def holder_transaction(session: Session, holder: Holder, transaction_id: int) -> Transaction:
    """A transaction of a carnet in this holder's wallet; any other id is NotFound (the holder
    learns nothing about which transaction ids exist)."""
    for store in (archive.LIVE, archive.ARCHIVE):  # an archived carnet's receipt too
        t = store.txn
        txn = session.scalar(
            select(t)
            .join(WalletCarnet, WalletCarnet.carnet_id == t.carnet_id)
            .where(t.id == transaction_id, WalletCarnet.holder_id == holder.id)
        )
        if txn is not None:
            return txn
    raise NotFound(_("No such transaction."))


@dataclass
class VoucherStatus:
    state: str  # pending | committed | rejected | cancelled
    transaction: Transaction | None = None
    rejection: Rejection | None = None


def voucher_status(session: Session, voucher: Voucher) -> VoucherStatus:
    t = archive.store_for(session, voucher.carnet_id).txn
    txn = session.scalar(
        select(t)
        .where(t.voucher_id == voucher.id)
        .order_by(t.committed_at.desc(), t.id.desc())
        .limit(1)
    )
    rejection = session.scalar(
        select(Rejection)
        .where(Rejection.voucher_id == voucher.id)
        .order_by(Rejection.at.desc(), Rejection.id.desc())
        .limit(1)
    )
    if voucher.state in ("used", "pre_exported") and txn is not None:
        return VoucherStatus("committed", txn)
    if rejection is not None and (txn is None or rejection.at >= txn.committed_at):
        return VoucherStatus("rejected", txn, rejection)
    if txn is not None and txn.state == "cancelled":
        return VoucherStatus("cancelled", txn)
    return VoucherStatus("pending")


def status_key(session: Session, voucher_ids: list[int]) -> str:
    """A cheap fingerprint of what the customs did to these vouchers, for the polling page."""
    if not voucher_ids:
        return "0"
    txns = session.execute(
        select(func.count(Transaction.id), func.max(Transaction.id)).where(
            Transaction.voucher_id.in_(voucher_ids)
        )
    ).one()
    cancelled = session.scalar(
        select(func.count(Transaction.id)).where(
            Transaction.voucher_id.in_(voucher_ids), Transaction.state == "cancelled"
        )
    )
    rejections = session.scalar(
        select(func.count(Rejection.id)).where(Rejection.voucher_id.in_(voucher_ids))
    )
    return f"{txns[0]}-{txns[1]}-{cancelled}-{rejections}"


# --- notifications (F-34) ------------------------------------------------------------------------


def notifications_of(
    session: Session, holder: Holder, limit: int = 100
) -> list[HolderNotification]:
    return list(
        session.scalars(
            select(HolderNotification)
            .where(HolderNotification.holder_id == holder.id)
            .order_by(HolderNotification.created_at.desc(), HolderNotification.id.desc())
            .limit(limit)
        )
    )


# the wallet menu's count, built once (every wallet page reads it)
_UNREAD = select(func.count(HolderNotification.id)).where(
    HolderNotification.holder_id == bindparam("holder_id"), HolderNotification.read_at.is_(None)
)


def unread_count(session: Session, holder: Holder) -> int:
    return session.execute(_UNREAD, {"holder_id": holder.id}).scalar() or 0


def mark_read(session: Session, holder: Holder, now: dt.datetime | None = None) -> None:
    session.execute(
        update(HolderNotification)
        .where(HolderNotification.holder_id == holder.id, HolderNotification.read_at.is_(None))
        .values(read_at=now or now_utc())
        .execution_options(synchronize_session=False)
    )
