"""Voucher share links (F-35): created for 1, 7 or 30 days, stored as keyed hashes, revocable."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import DomainError, NotFound, audit
from portal.domain.codes import keyed_hash, new_token
from portal.domain.wallet.carnets import holder_voucher
from portal.models import (
    Holder,
    VoucherShare,
)

SHARE_DAYS = (1, 7, 30)

# --- share links (F-35) --------------------------------------------------------------------------


def _share_hash(raw: str) -> str:
    return keyed_hash("voucher-share:" + (raw or ""))


def create_share(
    session: Session,
    holder: Holder,
    voucher_id: int,
    *,
    days: int,
    label: str = "",
    now: dt.datetime | None = None,
) -> tuple[VoucherShare, str]:
    now = now or now_utc()
    voucher = holder_voucher(session, holder, voucher_id)
    if voucher.state != "open":
        raise DomainError(
            _(
                "Customs already committed this voucher: there is nothing left to "
                "present, so it cannot be shared."
            ),
            code="voucher_committed",
        )
    if days not in SHARE_DAYS:
        raise DomainError(_("Choose how long the link works: 1, 7 or 30 days."), field="days")
    raw = new_token()
    share = VoucherShare(
        voucher_id=voucher.id,
        holder_id=holder.id,
        token_hash=_share_hash(raw),
        label=(label or "").strip()[:120],
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(share)
    session.flush()
    audit.by_holder(
        session,
        "voucher.shared",
        holder,
        object_type="voucher",
        object_id=voucher.id,
        data={"share_id": share.id, "days": days},
    )
    return share, raw


def shares_of(session: Session, holder: Holder, voucher_id: int) -> list[VoucherShare]:
    return list(
        session.scalars(
            select(VoucherShare)
            .where(VoucherShare.holder_id == holder.id, VoucherShare.voucher_id == voucher_id)
            .order_by(VoucherShare.created_at.desc())
        )
    )


def revoke_share(
    session: Session, holder: Holder, share_id: int, *, now: dt.datetime | None = None
) -> VoucherShare:
    share = session.get(VoucherShare, share_id)
    if share is None or share.holder_id != holder.id:
        raise NotFound(_("No such link."))
    share.revoked_at = share.revoked_at or now or now_utc()
    audit.by_holder(
        session,
        "voucher.share_revoked",
        holder,
        object_type="voucher",
        object_id=share.voucher_id,
        data={"share_id": share.id},
    )
    session.flush()
    return share


def open_share(session: Session, raw: str, *, now: dt.datetime | None = None) -> VoucherShare:
    """The share behind a link; an unknown, revoked or expired link — or a voided voucher — is
    not found."""
    now = now or now_utc()
    share = session.scalar(select(VoucherShare).where(VoucherShare.token_hash == _share_hash(raw)))
    if (
        share is None
        or share.revoked_at is not None
        or share.expires_at < now
        or share.voucher.state == "void"
    ):
        raise NotFound(_("This link has expired or was withdrawn by the carnet holder."))
    return share
