"""Audit events, holder notifications and office emails of pre-declarations (F-52)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.domain import audit, outbox
from portal.domain.rules import label
from portal.domain.transactions import Officer
from portal.domain.transactions.notify import notify
from portal.i18n import fmt_date, fmt_time, language_of, with_locale
from portal.models import (
    Carnet,
    CustomsAdministration,
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


# the words of the office's email (lower case, inside a sentence)
OFFICE_CARRIAGES = {"cargo": _l("cargo"), "hand_carry": _l("hand carry")}
OFFICE_TRANSPORT = {"air": _l("Air"), "sea": _l("Sea"), "land": _l("Land")}


def tell_holders(
    session: Session, carnet: Carnet, p: Predeclaration, words: Callable[[], tuple[str, str]]
):
    """A wallet notification for every holder of the carnet, with its outbox signal and an
    email through the outbox (F-52)."""
    voucher = session.get(Voucher, p.voucher_id)
    notify(
        session,
        carnet,
        "predeclaration",
        words=words,
        voucher=voucher,
        email=True,
    )


def tell_office(session: Session, office: Office, carnet: Carnet, p: Predeclaration) -> None:
    """An email to the office's address, when it has one (the list is the office's inbox)."""
    if not office.email:
        return
    administration = session.get(CustomsAdministration, office.customs_id)
    with with_locale(language_of(None, administration)):
        auto = p.option == "automatic"
        values = {
            "number": carnet.carnet_number,
            "transaction": label(p.kind),
            "office": office.name,
            # the expected time is the office's local time: shown as typed, never converted
            "when": f"{fmt_date(p.expected_at.date())} {fmt_time(p.expected_at.time())}",
            "carriage": str(OFFICE_CARRIAGES[p.carriage]),
            "transport": " ".join(
                x for x in (str(OFFICE_TRANSPORT[p.transport_mode]), p.transport_id) if x
            ),
        }
        subject = (
            _("eATA: pre-declaration for carnet %(number)s", **values)
            if auto
            else _("eATA: pre-notification for carnet %(number)s", **values)
        )
        body = (
            _(
                "A pre-declaration for the %(transaction)s of carnet %(number)s is expected at "
                "%(office)s on %(when)s (%(carriage)s, %(transport)s). Open Pre-declarations in "
                "the customs portal.\n",
                **values,
            )
            if auto
            else _(
                "A pre-notification for the %(transaction)s of carnet %(number)s is expected at "
                "%(office)s on %(when)s (%(carriage)s, %(transport)s). Open Pre-declarations in "
                "the customs portal.\n",
                **values,
            )
        )
    outbox.add_email(session, office.email, subject, body, customs_id=office.customs_id)
