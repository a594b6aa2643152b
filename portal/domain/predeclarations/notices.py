"""Audit events, holder notifications and office emails of pre-declarations (F-52)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.domain import audit, outbox
from portal.domain.predeclarations.vocabulary import CARRIAGES, TRANSPORT_MODES, kind_name
from portal.domain.rules import label
from portal.domain.transactions import Officer
from portal.domain.transactions.notify import notify
from portal.models import (
    Carnet,
    Holder,
    Office,
    Predeclaration,
    Voucher,
)

# --- audit and notifications ----------------------------------------------------------------


def _data(p: Predeclaration, **extra: Any) -> dict:
    return {
        "predeclaration_id": p.id,
        "voucher_id": p.voucher_id,
        "kind": p.kind,
        "option": p.option,
        "office_id": p.office_id,
        "state": p.state,
        **extra,
    }


def audit_holder(
    session: Session, action: str, holder: Holder, carnet: Carnet, p: Predeclaration
) -> None:
    audit.record(
        session,
        action,
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        customs_id=p.customs_id,
        object_type="carnet",
        object_id=carnet.eata_id,
        data=_data(p),
    )


def audit_officer(
    session: Session,
    action: str,
    officer: Officer,
    carnet: Carnet,
    p: Predeclaration,
    **extra: Any,
) -> None:
    audit.record(
        session,
        action,
        actor_type="account",
        actor_id=officer.account.id,
        actor_label=officer.account.email,
        customs_id=p.customs_id,
        ip=officer.ip,
        object_type="carnet",
        object_id=carnet.eata_id,
        data=_data(p, **extra),
    )


def tell_holders(session: Session, carnet: Carnet, p: Predeclaration, title: str, body: str):
    """A wallet notification for every holder of the carnet, with its outbox signal and an
    email through the outbox (F-52)."""
    voucher = session.get(Voucher, p.voucher_id)
    notify(session, carnet, "predeclaration", title=title, body=body, voucher=voucher, email=True)


def tell_office(session: Session, office: Office, carnet: Carnet, p: Predeclaration) -> None:
    """An email to the office's address, when it has one (the list is the office's inbox)."""
    if not office.email:
        return
    outbox.add_email(
        session,
        office.email,
        f"eATA: {kind_name(p)} for carnet {carnet.carnet_number}",
        f"A {kind_name(p)} for the {label(p.kind)} of carnet {carnet.carnet_number} is "
        f"expected at {office.name} on {p.expected_at.strftime('%d/%m/%Y %H:%M')} "
        f"({CARRIAGES[p.carriage].lower()}, {TRANSPORT_MODES[p.transport_mode]}"
        + (f" {p.transport_id}" if p.transport_id else "")
        + "). Open Pre-declarations in the customs portal.\n",
        customs_id=office.customs_id,
    )
