"""The carnet in the holder's wallet: the holder's signature and the general list accepted (F-31)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import DomainError, NotFound, audit
from portal.models import (
    Carnet,
    Holder,
    Signature,
    WalletCarnet,
)


def _norm_name(name: str) -> str:
    flat = unicodedata.normalize("NFKC", name or "").casefold()
    return " ".join(flat.split())


def check_signature(holder: Holder, signed_name: str) -> None:
    if not _norm_name(signed_name):
        raise DomainError(_("Sign the declaration with your legal name."), field="signed_name")
    if _norm_name(signed_name) != _norm_name(holder.legal_name):
        raise DomainError(
            _("Sign with your legal name as registered: %(name)s.", name=holder.legal_name),
            field="signed_name",
        )


def wallet_entry(session: Session, holder: Holder, carnet: Carnet) -> WalletCarnet:
    entry = session.scalar(
        select(WalletCarnet).where(
            WalletCarnet.holder_id == holder.id, WalletCarnet.carnet_id == carnet.id
        )
    )
    if entry is None:
        raise NotFound(_("This carnet is not in your wallet."))
    return entry


def add_to_wallet(session: Session, holder: Holder, carnet: Carnet) -> WalletCarnet:
    """Record that a holder downloaded a carnet (the wallet issue checks the PIN first)."""
    entry = session.scalar(
        select(WalletCarnet).where(
            WalletCarnet.holder_id == holder.id, WalletCarnet.carnet_id == carnet.id
        )
    )
    if entry is None:
        entry = WalletCarnet(holder_id=holder.id, carnet_id=carnet.id)
        session.add(entry)
        session.flush()
    return entry


def accept_general_list(
    session: Session,
    holder: Holder,
    carnet: Carnet,
    signed_name: str,
    *,
    now: dt.datetime | None = None,
) -> Signature:
    """First use (F-31): the holder accepts the general list and liability under their legal
    name; customs see who signed and when."""
    entry = wallet_entry(session, holder, carnet)
    check_signature(holder, signed_name)
    now = now or now_utc()
    sig = Signature(
        carnet_id=carnet.id,
        holder_id=holder.id,
        kind="general_list",
        signed_name=signed_name.strip(),
        signed_at=now,
    )
    session.add(sig)
    entry.accepted_at = entry.accepted_at or now
    audit.by_holder(
        session,
        "carnet.general_list_signed",
        holder,
        nga_id=carnet.nga_id,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={"signed_name": sig.signed_name},
    )
    session.flush()
    return sig
