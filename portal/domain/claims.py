"""Claims (F-67): a controller opens a claim on a "To check" carnet, addressed to the carnet's
NGA; the NGA answers through the NICS API (documents, a certificate of location, pointers to
transactions recorded in the system); customs record a provisional payment, settle or withdraw.
Every step is a dated ClaimEvent.

Time limits of the ATA Convention, configurable (`Limits`): customs notify the NGA within
1 year of the carnet's expiry; the NGA has 6 months from the claim to furnish proof; a
provisional payment becomes final 3 months later. The liability is capped at the import duties
plus 10 %.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError, NotFound
from portal.domain import reconciliation as rec
from portal.models import Carnet, Transaction
from portal.models.monitoring import Claim, ClaimEvent, ClaimEvidence

EVIDENCE_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
ACTIVE = ("open", "answered")
STATUS_LABELS = {
    "open": _l("Open"),
    "answered": _l("Answered"),
    "settled": _l("Settled"),
    "withdrawn": _l("Withdrawn"),
}


@dataclass(frozen=True)
class Limits:
    notify_months: int = 12
    proof_months: int = 6
    payment_final_months: int = 3
    evidence_max_bytes: int = 5 * 1024 * 1024

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(
            int(config.get("CLAIM_NOTIFY_MONTHS", 12)),
            int(config.get("CLAIM_PROOF_MONTHS", 6)),
            int(config.get("CLAIM_PAYMENT_FINAL_MONTHS", 3)),
            int(config.get("CLAIM_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024)),
        )


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Deadline:
    label: str
    due: dt.date
    met_on: dt.date | None
    overdue: bool


def deadlines(claim: Claim, carnet: Carnet, limits: Limits, today: dt.date) -> list[Deadline]:
    """The due dates of the claim, met or not, and overdue when passed unmet."""
    out = []
    notify_by = add_months(carnet.valid_until, limits.notify_months)
    opened = claim.opened_at.date()
    out.append(
        Deadline(
            str(_l("Notify the guaranteeing association")), notify_by, opened, opened > notify_by
        )
    )
    proof_by = add_months(opened, limits.proof_months)
    answered = claim.answered_at.date() if claim.answered_at else None
    active = claim.status in ACTIVE
    out.append(
        Deadline(
            str(_l("Guaranteeing association furnishes proof")),
            proof_by,
            answered,
            answered is None and active and today > proof_by,
        )
    )
    if claim.provisional_payment_at:
        final_on = add_months(claim.provisional_payment_at.date(), limits.payment_final_months)
        closed = claim.closed_at.date() if claim.closed_at else None
        out.append(
            Deadline(
                str(_l("Provisional payment becomes final")),
                final_on,
                closed,
                active and today > final_on,
            )
        )
    return out


def is_overdue(claim: Claim, carnet: Carnet, limits: Limits, today: dt.date) -> bool:
    return any(d.overdue for d in deadlines(claim, carnet, limits, today))


def liability_cap(claim: Claim) -> Decimal:
    return (Decimal(claim.import_duties or 0) * Decimal("1.10")).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


class Invalid(DomainError):
    """A refused input (shown next to its field; a 422 on the API)."""

    status = 422


def _parse_amount(raw) -> Decimal:
    try:
        value = Decimal(str(raw or "0").strip().replace(",", "."))
    except InvalidOperation:
        raise DomainError(
            _("Give the import duties as an amount, e.g. 1250.00."), field="import_duties"
        ) from None
    if value < 0 or value >= Decimal("1e14") or not value.is_finite():
        raise DomainError(_("Give the import duties as a positive amount."), field="import_duties")
    return value.quantize(Decimal("0.01"))


def _event(
    claim: Claim,
    kind: str,
    actor: str,
    name: str,
    text: str = "",
    transaction_ids=None,
    now: dt.datetime | None = None,
) -> ClaimEvent:
    event = ClaimEvent(
        kind=kind,
        actor=actor,
        actor_name=name,
        text=text,
        transaction_ids=list(transaction_ids or []),
        at=now or now_utc(),
    )
    claim.events.append(event)
    return event


def open_claim(
    session: Session,
    *,
    customs_id: int,
    territory_id: int,
    account,
    carnet: Carnet,
    reason: str,
    import_duties,
    limits: Limits,
    now: dt.datetime | None = None,
) -> Claim:
    now = now or now_utc()
    today = now.date()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what the claim is about."), field="reason")
    duties = _parse_amount(import_duties)
    if rec.status_for(session, carnet, territory_id, today) != "to_check":
        raise DomainError(
            _('A claim can only be opened on a carnet whose reconciliation is "To check".')
        )
    notify_by = add_months(carnet.valid_until, limits.notify_months)
    if today > notify_by:
        raise DomainError(
            _(
                "The time limit to notify the guaranteeing association passed on %(date)s.",
                date=notify_by.strftime("%d/%m/%Y"),
            )
        )
    existing = session.scalar(
        select(Claim.id).where(
            Claim.carnet_id == carnet.id, Claim.customs_id == customs_id, Claim.status.in_(ACTIVE)
        )
    )
    if existing:
        raise Conflict(_("A claim on this carnet is already open."))
    lines = rec.lines_for(session, carnet.id, territory_id)
    claim = Claim(
        customs_id=customs_id,
        carnet_id=carnet.id,
        nga_id=carnet.nga_id,
        territory_id=territory_id,
        opened_by_account_id=account.id,
        opened_by=account.full_name,
        reason=reason[:4000],
        import_duties=duties,
        currency=carnet.currency,
        opened_at=now,
        status="open",
        items=[
            {"item_no": ln.item_no, "obligation": ln.obligation, "missing": ln.missing}
            for ln in lines
        ],
    )
    session.add(claim)
    _event(claim, "opened", "customs", account.full_name, reason, now=now)
    session.flush()
    return claim


def _active(claim: Claim) -> None:
    if claim.status not in ACTIVE:
        raise Conflict(
            _("The claim is already %(status)s.", status=STATUS_LABELS[claim.status].lower())
        )


def answer(
    session: Session,
    claim: Claim,
    *,
    nga_name: str,
    text: str,
    transaction_ids: list[int] | None = None,
    now: dt.datetime | None = None,
) -> ClaimEvent:
    """The NGA's answer: a text and pointers to transactions of the carnet."""
    _active(claim)
    text = (text or "").strip()
    ids = [int(i) for i in (transaction_ids or [])]
    if not text and not ids:
        raise Invalid(_("Give an explanation or point to recorded transactions."), field="text")
    if ids:
        found = set(
            session.scalars(
                select(Transaction.id).where(
                    Transaction.id.in_(ids), Transaction.carnet_id == claim.carnet_id
                )
            )
        )
        missing = [i for i in ids if i not in found]
        if missing:
            raise Invalid(
                _(
                    "These transactions are not recorded on the carnet: %(ids)s",
                    ids=", ".join(map(str, missing)),
                ),
                field="transaction_ids",
            )
    now = now or now_utc()
    claim.status = "answered"
    claim.answered_at = claim.answered_at or now
    event = _event(claim, "answered", "nga", nga_name, text[:8000], ids, now)
    session.flush()
    return event


def add_evidence(
    session: Session,
    claim: Claim,
    *,
    kind: str,
    filename: str,
    content_type: str,
    data: bytes,
    storage_dir: str,
    limits: Limits,
    nga_name: str = "",
    now: dt.datetime | None = None,
) -> ClaimEvidence:
    """A document or certificate of location, size-limited, stored under STORAGE_DIR."""
    _active(claim)
    if kind not in ("document", "certificate_of_location"):
        raise Invalid(_("The evidence kind is document or certificate_of_location."), field="kind")
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in EVIDENCE_TYPES:
        raise Invalid(_("Send a PDF, PNG or JPEG file."), field="file")
    if not data:
        raise Invalid(_("The file is empty."), field="file")
    if len(data) > limits.evidence_max_bytes:
        raise Invalid(
            _("The file is larger than %(value)s KB.", value=limits.evidence_max_bytes // 1024),
            field="file",
        )
    now = now or now_utc()
    relative = f"claims/{claim.id}/{secrets.token_hex(8)}{EVIDENCE_TYPES[content_type]}"
    root = os.path.realpath(storage_dir)
    path = os.path.realpath(os.path.join(root, relative))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    safe_name = os.path.basename(filename or "evidence")[:200] or "evidence"
    label = "Certificate of location" if kind == "certificate_of_location" else "Document"
    event = _event(claim, "evidence", "nga", nga_name, f"{label}: {safe_name}", now=now)
    session.flush()
    evidence = ClaimEvidence(
        kind=kind,
        filename=safe_name,
        content_type=content_type,
        size=len(data),
        path=relative,
        uploaded_at=now,
        event_id=event.id,
    )
    claim.evidence.append(evidence)
    claim.status = "answered"
    claim.answered_at = claim.answered_at or now
    session.flush()
    return evidence


def record_provisional_payment(
    session: Session, claim: Claim, account, now: dt.datetime | None = None
) -> None:
    _active(claim)
    if claim.provisional_payment_at:
        raise Conflict(_("The provisional payment is already recorded."))
    now = now or now_utc()
    claim.provisional_payment_at = now
    _event(claim, "provisional_payment", "customs", account.full_name, now=now)
    session.flush()


def settle(
    session: Session, claim: Claim, account, text: str = "", now: dt.datetime | None = None
) -> None:
    _active(claim)
    now = now or now_utc()
    claim.status = "settled"
    claim.closed_at = now
    _event(claim, "settled", "customs", account.full_name, (text or "").strip()[:4000], now=now)
    session.flush()


def withdraw(
    session: Session, claim: Claim, account, text: str, now: dt.datetime | None = None
) -> None:
    _active(claim)
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Say why the claim is withdrawn."), field="text")
    now = now or now_utc()
    claim.status = "withdrawn"
    claim.closed_at = now
    _event(claim, "withdrawn", "customs", account.full_name, text[:4000], now=now)
    session.flush()


def for_nga(session: Session, nga_id: int, page: int, per_page: int) -> tuple[list[Claim], int]:
    q = select(Claim).where(Claim.nga_id == nga_id)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = list(
        session.scalars(q.order_by(Claim.id.desc()).limit(per_page).offset((page - 1) * per_page))
    )
    return rows, total


def get_for_nga(session: Session, nga_id: int, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None or claim.nga_id != nga_id:
        raise NotFound(_("No such claim."))
    return claim
