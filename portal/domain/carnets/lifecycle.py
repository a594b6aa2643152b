"""A carnet's life-cycle (F-21 … F-23): sets added, replacement, cancellation, blocking and
discharge, each refused in words when the carnet's state forbids it (R-12).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import MAX_ID, now_utc
from portal.domain import Conflict
from portal.domain.api_clients import Actor
from portal.domain.carnet_input import fmt_date
from portal.domain.carnets.contents import audit_carnet, snapshot
from portal.domain.carnets.issue import issue_carnet
from portal.domain.carnets.vocabulary import (
    MAX_SETS_PER_KIND,
    SET_LABELS,
    STATUS_LABELS,
    ValidationFailed,
)
from portal.domain.passwords import verify_secret
from portal.models import (
    NGA,
    Carnet,
    CarnetSets,
    PaperTransaction,
)

# --- life-cycle -----------------------------------------------------------------------------


def _refuse(carnet: Carnet, status: str, action: str) -> Conflict:
    """Why `action` is not possible on a carnet in `status`, in words, in the reader's language
    (R-12, F-83): the chamber portal shows it next to its button, the API in its problem."""
    n = carnet.carnet_number
    if status == "discharged":
        msg = _(
            "Carnet %(number)s has been discharged: nothing can change on it any more.", number=n
        )
    elif status == "cancelled":
        msg = _(
            "Carnet %(number)s has been cancelled: nothing can change on it any more.", number=n
        )
    elif status == "expired" and action in ("add_sets", "block", "cancel"):
        msg = _(
            "Carnet %(number)s expired on %(date)s: only re-exportation and re-importation "
            "remain possible; it can be replaced or discharged.",
            number=n,
            date=fmt_date(carnet.valid_until),
        )
    elif status == "blocked" and action in ("add_sets", "block", "cancel"):
        verb = {
            "add_sets": _("Carnet %(number)s is blocked: unblock it before adding sets.", number=n),
            "block": _(
                "Carnet %(number)s is blocked: unblock it before blocking it again.", number=n
            ),
            "cancel": _("Carnet %(number)s is blocked: unblock it before cancelling it.", number=n),
        }
        msg = verb[action]
    elif status == "active" and action == "cancel":
        msg = _(
            "Carnet %(number)s has already been validated by customs: it can no longer be "
            "cancelled. Discharge it once the goods are back.",
            number=n,
        )
    elif status == "issued" and action == "discharge":
        msg = _(
            "Carnet %(number)s was never validated by customs: there is nothing to discharge. "
            "Cancel it instead.",
            number=n,
        )
    elif status == "issued" and action == "replace":
        msg = _(
            "Carnet %(number)s was never validated by customs: cancel it and issue a new carnet "
            "rather than a replacement.",
            number=n,
        )
    elif action == "unblock":
        msg = _(
            "Carnet %(number)s is not blocked (it is %(status)s).",
            number=n,
            status=STATUS_LABELS[status],
        )
    else:
        msg = _(
            "Carnet %(number)s is %(status)s: this action is not possible.",
            number=n,
            status=STATUS_LABELS[status],
        )
    return Conflict(msg, code=f"carnet_{status}")


ALLOWED_FROM = {
    "add_sets": ("issued", "active"),
    "cancel": ("issued",),
    "block": ("issued", "active"),
    "unblock": ("blocked",),
    "discharge": ("active", "blocked", "expired"),
    "replace": ("active", "blocked", "expired"),
}


def paper_validation(session: Session, carnet: Carnet) -> dt.date | None:
    """The day of the carnet's recorded paper validation (the green cover stamped by customs
    of departure, transition.record_paper_transaction), if any."""
    return session.scalar(
        select(PaperTransaction.made_on)
        .where(PaperTransaction.carnet_id == carnet.id, PaperTransaction.kind == "validation")
        .limit(1)
    )


def lifecycle_status(carnet: Carnet, today: dt.date, session: Session | None = None) -> str:
    """The status the life-cycle rules go by: Carnet.effective_status, the one every screen
    and API shows (a carnet whose paper validation is recorded counts as active). `session`
    is accepted for the callers that passed it."""
    return carnet.effective_status(today)


def check_allowed(
    carnet: Carnet, action: str, today: dt.date, session: Session | None = None
) -> str:
    """The carnet's life-cycle status (lifecycle_status) if `action` is allowed from it;
    Conflict otherwise. Pass the session so a recorded paper validation counts."""
    status = lifecycle_status(carnet, today, session)
    if status not in ALLOWED_FROM[action]:
        raise _refuse(carnet, status, action)
    return status


def add_sets(
    session: Session,
    carnet: Carnet,
    kind: str,
    count: int,
    actor: Actor,
    *,
    today: dt.date | None = None,
) -> Carnet:
    today = today or now_utc().date()
    check_allowed(carnet, "add_sets", today, session)
    sets = carnet.sets_of(kind)
    if sets is None:
        sets = CarnetSets(kind=kind, issued=0, remaining=0)
        carnet.sets.append(sets)
    if count < 1 or sets.issued + count > MAX_SETS_PER_KIND:
        raise ValidationFailed(
            [
                {
                    "field": "count",
                    "message": f"A carnet holds at most {MAX_SETS_PER_KIND} {SET_LABELS[kind]} "
                    f"sets; it has {sets.issued}.",
                }
            ]
        )
    before = snapshot(carnet)
    sets.issued += count
    sets.remaining += count
    carnet.updated_at = now_utc()
    audit_carnet(
        session, "carnet.sets_added", carnet, actor, before, {"kind": kind, "count": count}
    )
    return carnet


def _set_status(
    session: Session, carnet: Carnet, status: str, reason: str, action: str, actor: Actor
) -> Carnet:
    before = snapshot(carnet)
    carnet.status = status
    carnet.status_reason = reason
    carnet.updated_at = now_utc()
    audit_carnet(session, action, carnet, actor, before)
    return carnet


def cancel(
    session: Session, carnet: Carnet, reason: str, actor: Actor, *, today: dt.date | None = None
) -> Carnet:
    check_allowed(carnet, "cancel", today or now_utc().date(), session)
    for s in carnet.sets:
        s.remaining = 0
    return _set_status(session, carnet, "cancelled", reason, "carnet.cancelled", actor)


def block(
    session: Session, carnet: Carnet, reason: str, actor: Actor, *, today: dt.date | None = None
) -> Carnet:
    check_allowed(carnet, "block", today or now_utc().date(), session)
    return _set_status(session, carnet, "blocked", reason, "carnet.blocked", actor)


def unblock(
    session: Session, carnet: Carnet, reason: str, actor: Actor, *, today: dt.date | None = None
) -> Carnet:
    check_allowed(carnet, "unblock", today or now_utc().date())
    status = "active" if carnet.activated_at is not None else "issued"
    return _set_status(session, carnet, status, reason, "carnet.unblocked", actor)


def discharge(
    session: Session, carnet: Carnet, reason: str, actor: Actor, *, today: dt.date | None = None
) -> Carnet:
    """Terminate a returned carnet; its unused vouchers are blocked (F-74)."""
    check_allowed(carnet, "discharge", today or now_utc().date(), session)
    for s in carnet.sets:
        s.remaining = 0
    return _set_status(session, carnet, "discharged", reason, "carnet.discharged", actor)


def issue_replacement(
    session: Session,
    nga: NGA,
    original: Carnet,
    data: dict,
    actor: Actor,
    *,
    today: dt.date | None = None,
    checked: bool = False,
) -> tuple[Carnet, str]:
    today = today or now_utc().date()
    check_allowed(original, "replace", today, session)
    replaced = next((link for link in original.links if link.kind == "replaced_by"), None)
    if replaced is not None:
        raise Conflict(
            _(
                "Carnet %(carnet_number)s has already been replaced by carnet %(linked_number)s.",
                carnet_number=original.carnet_number,
                linked_number=replaced.linked_number,
            ),
            code="carnet_replaced",
        )
    before = snapshot(original)
    carnet, pin = issue_carnet(
        session, nga, data, actor, today=today, original=original, checked=checked
    )
    audit_carnet(
        session,
        "carnet.replaced",
        original,
        actor,
        before,
        {"replacement": carnet.eata_id, "replacement_number": carnet.carnet_number},
    )
    return carnet, pin


def mark_activated(carnet: Carnet, at: dt.datetime | None = None) -> None:
    """Validation by customs (R-01) — called by the transaction engine."""
    carnet.status = "active"
    carnet.activated_at = at or now_utc()


def verify_download_pin(session: Session, eata_id: int, pin: str) -> Carnet | None:
    """The carnet if `pin` is its download PIN, else None — the same time either way (the
    caller rate-limits and logs failures, R-10)."""
    carnet = None
    if 0 < eata_id <= MAX_ID:
        carnet = session.scalar(select(Carnet).where(Carnet.eata_id == eata_id))
    ok = verify_secret(carnet.pin_hash if carnet is not None else None, pin)
    return carnet if ok and carnet is not None else None
