"""Pre-notifications and pre-declarations (F-36, F-50 … F-52), without Flask.

The holder sends one for a voucher of a prepared travel to a customs office of the voucher's
territory, edits or withdraws it while it is pending; an officer of that office's
administration (within their region, R-16) acknowledges it, rejects it with a reason, or —
for a pre-declaration ("allow automatic transaction") — commits the voucher through the
engine's one commit function, `transactions.commit_voucher`, in the same database
transaction that marks the pre-declaration committed.

States: pending → acknowledged → committed; pending/acknowledged → rejected (customs) or
pending → withdrawn (holder). Every action first locks the pre-declaration's row (SELECT … FOR
UPDATE on PostgreSQL, an UPDATE on SQLite), so an officer committing while the holder
withdraws, or two officers at once, give exactly one outcome; the loser gets the sentence of
what happened. Sending locks the voucher (the engine's carnet + voucher lock) so that a voucher
has at most one open pre-declaration (a partial unique index backs it).

Every function adds its changes to the session; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError, NotFound, PermissionDenied, audit, crypto, outbox
from portal.domain.carnets import holder_of, item_description
from portal.domain.organisation import office_within_reach
from portal.domain.rules import active_hold, check_status, country_name, label
from portal.domain.transactions import CommitResult, Officer, commit_voucher, committed_by_token
from portal.domain.transactions.checks import voucher_lines
from portal.domain.transactions.locking import is_pg, lock
from portal.domain.transactions.notify import notify
from portal.domain.travels import get_travel
from portal.models import (
    Carnet,
    Country,
    CustomsAdministration,
    Holder,
    Office,
    Predeclaration,
    Transaction,
    Voucher,
)
from portal.models.predeclarations import OPEN_STATES, PREDECLARATION_STATES

OPTIONS = {
    "": "Pre-notification with the carnet's details",
    "notification_only": "Pre-notification only (without the carnet's details)",
    "automatic": "Pre-declaration (allow automatic transaction)",
}
CARRIAGES = {"cargo": "Cargo", "hand_carry": "Hand carry"}
TRANSPORT_MODES = {"air": "Air", "sea": "Sea", "land": "Land"}
STATE_LABELS = {
    "pending": "pending",
    "acknowledged": "acknowledged",
    "rejected": "rejected",
    "committed": "committed",
    "withdrawn": "withdrawn",
}
REPRESENTATIVE_FIELDS = ("name", "eori", "city", "country")
MAX_REASON = 1000
# how far ahead a pre-declaration may announce an arrival
MAX_DAYS_AHEAD = 366


@dataclass
class PredeclarationInput:
    """What the holder fills in (the App User Guide's "Predeclarations" screen)."""

    office_id: Any
    expected_date: Any  # date or dd/mm/yyyy / yyyy-mm-dd
    expected_time: Any  # time or HH:MM
    carriage: str
    transport_mode: str
    option: str = ""
    shipment_number: str = ""
    transport_id: str = ""
    representative: dict = field(default_factory=dict)


def kind_name(p: Predeclaration) -> str:
    return "pre-declaration" if p.option == "automatic" else "pre-notification"


def _aad(p: Predeclaration) -> str:
    return f"predeclaration:{p.voucher_id}:{p.holder_id}:representative"


def representative_of(p: Predeclaration) -> dict:
    if not p.representative_enc:
        return {}
    return crypto.decrypt_json(p.representative_enc, _aad(p))


# --- reading --------------------------------------------------------------------------------


def offices_for_voucher(session: Session, voucher: Voucher) -> list[Office]:
    """The active customs offices (not administrative ones) of the voucher's customs territory,
    by country and name: where a pre-declaration for it can be sent."""
    rows = session.scalars(
        select(Office)
        .join(CustomsAdministration, CustomsAdministration.id == Office.customs_id)
        .outerjoin(Country, Country.code == Office.country_code)
        .where(
            Office.active.is_(True),
            Office.is_administrative.is_(False),
            CustomsAdministration.active.is_(True),
            func.coalesce(Country.territory_id, CustomsAdministration.territory_id)
            == voucher.territory_id,
        )
        .order_by(CustomsAdministration.country_code, Office.name)
    )
    return list(rows)


def of_vouchers(session: Session, voucher_ids: list[int]) -> dict[int, Predeclaration]:
    """The latest pre-declaration of each voucher (open or not), by voucher id."""
    if not voucher_ids:
        return {}
    out: dict[int, Predeclaration] = {}
    for p in session.scalars(
        select(Predeclaration)
        .where(Predeclaration.voucher_id.in_(voucher_ids))
        .order_by(Predeclaration.created_at, Predeclaration.id)
    ):
        out[p.voucher_id] = p
    return out


def status_key(session: Session, voucher_ids: list[int]) -> str:
    """The wallet's live fingerprint of the vouchers' pre-declarations (count and versions)."""
    if not voucher_ids:
        return "0"
    count, versions = session.execute(
        select(func.count(Predeclaration.id), func.sum(Predeclaration.version)).where(
            Predeclaration.voucher_id.in_(voucher_ids)
        )
    ).one()
    return f"{count}.{versions or 0}"


def holder_predeclaration(
    session: Session, holder: Holder, predeclaration_id: int
) -> Predeclaration:
    """A pre-declaration of a travel the holder sees (F-38); another's is not found."""
    p = session.get(Predeclaration, predeclaration_id)
    if p is None:
        raise NotFound("No such pre-declaration.")
    get_travel(session, holder, p.travel_id)  # NotFound when not the holder's
    return p


def incoming(
    customs_id: int,
    office_ids: list[int],
    *,
    office_id: int | None = None,
    day: dt.date | None = None,
    state: str | None = None,
) -> Select:
    """F-51: the pre-notifications/pre-declarations sent to these offices (the officer's, R-16)
    of one administration (R-17), newest first, with their carnet: rows of (Predeclaration,
    Carnet, Office). Filters: office, expected day, state ("open" = pending or acknowledged)."""
    stmt = (
        select(Predeclaration, Carnet, Office)
        .join(Carnet, Carnet.id == Predeclaration.carnet_id)
        .join(Office, Office.id == Predeclaration.office_id)
        .where(Predeclaration.customs_id == customs_id, Predeclaration.office_id.in_(office_ids))
        .order_by(Predeclaration.created_at.desc(), Predeclaration.id.desc())
    )
    if office_id is not None:
        stmt = stmt.where(Predeclaration.office_id == office_id)
    if day is not None:
        start = dt.datetime.combine(day, dt.time())
        stmt = stmt.where(
            Predeclaration.expected_at >= start,
            Predeclaration.expected_at < start + dt.timedelta(days=1),
        )
    if state == "open":
        stmt = stmt.where(Predeclaration.state.in_(OPEN_STATES))
    elif state:
        stmt = stmt.where(Predeclaration.state == state)
    return stmt


def pending_count(session: Session, customs_id: int, office_ids: list[int]) -> int:
    """The menu's count: pending ones at the officer's offices."""
    if not office_ids:
        return 0
    return (
        session.scalar(
            select(func.count(Predeclaration.id)).where(
                Predeclaration.customs_id == customs_id,
                Predeclaration.office_id.in_(office_ids),
                Predeclaration.state == "pending",
            )
        )
        or 0
    )


def parse_state(value: Any) -> str | None:
    value = (value or "").strip() if isinstance(value, str) else None
    if value == "open" or value in PREDECLARATION_STATES:
        return value
    return None


# --- the holder's side ----------------------------------------------------------------------


def _text(value: Any, name: str, what: str, max_len: int) -> str:
    text = str(value or "").strip()
    if len(text) > max_len:
        raise DomainError(f"The {what} is too long: at most {max_len} characters.", field=name)
    if any(ord(c) < 32 for c in text):
        raise DomainError(f"The {what} cannot hold control characters.", field=name)
    return text


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise DomainError("Give the expected date as dd/mm/yyyy.", field="expected_date")


def _parse_time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    raw = str(value or "").strip()
    try:
        return dt.datetime.strptime(raw, "%H:%M").time()
    except ValueError:
        raise DomainError(
            "Give the estimated time as HH:MM (24 hours).", field="expected_time"
        ) from None


def _checked(session: Session, voucher: Voucher, data: PredeclarationInput, today: dt.date) -> dict:
    """The row's values from the holder's input, every field checked (R-12)."""
    try:
        office_id = int(data.office_id)
    except (TypeError, ValueError):
        office_id = 0
    offices = {o.id: o for o in offices_for_voucher(session, voucher)}
    office = offices.get(office_id)
    if office is None:
        raise DomainError(
            f"Choose a customs office in {country_name(session, voucher.country_code)}'s "
            "customs territory.",
            field="office_id",
        )
    day = _parse_date(data.expected_date)
    if day < today - dt.timedelta(days=1):
        raise DomainError("The expected date is in the past.", field="expected_date")
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise DomainError("The expected date is more than a year ahead.", field="expected_date")
    at = dt.datetime.combine(day, _parse_time(data.expected_time))
    if data.carriage not in CARRIAGES:
        raise DomainError("Choose cargo or hand carry.", field="carriage")
    if data.transport_mode not in TRANSPORT_MODES:
        raise DomainError("Choose the mode of transport: air, sea or land.", field="transport_mode")
    if data.option not in OPTIONS:
        raise DomainError("Choose one of the options.", field="option")
    rep_in = data.representative or {}
    rep = {
        "name": _text(rep_in.get("name"), "rep_name", "representative's name", 200),
        "eori": _text(rep_in.get("eori"), "rep_eori", "representative's EORI or ID", 40),
        "city": _text(rep_in.get("city"), "rep_city", "representative's city", 120),
        "country": _text(
            rep_in.get("country"), "rep_country", "representative's country", 2
        ).upper(),
    }
    if rep["country"] and session.get(Country, rep["country"]) is None:
        raise DomainError("Choose the representative's country.", field="rep_country")
    if any(rep.values()) and not rep["name"]:
        raise DomainError("Give the representative's name.", field="rep_name")
    return {
        "office": office,
        "expected_at": at,
        "carriage": data.carriage,
        "transport_mode": data.transport_mode,
        "option": data.option,
        "shipment_number": _text(data.shipment_number, "shipment_number", "shipment number", 100),
        "transport_id": _text(data.transport_id, "transport_id", "identification", 100),
        "representative": rep if rep["name"] else {},
    }


def _check_voucher(session: Session, carnet: Carnet, voucher: Voucher, today: dt.date) -> None:
    """Refuse a voucher that is committed, cancelled (void), on an expired/cancelled/blocked
    carnet, or on hold in its territory — in the holder's words (R-12)."""
    if voucher.state == "used":
        raise Conflict(
            f"Customs already committed this {label(voucher.kind)}: there is nothing left to "
            "pre-declare.",
            code="already_committed",
        )
    if voucher.state == "void":
        raise Conflict(
            "This voucher was cancelled when the travel was changed or deleted: open the "
            "travel's current vouchers.",
            code="voucher_void",
        )
    check_status(carnet, voucher.kind, today)
    if voucher.territory_id is not None:
        hold = active_hold(session, carnet.id, voucher.territory_id)
        if hold is not None:
            raise Conflict(
                f"This carnet is on hold at {hold.office_name} since "
                f"{hold.held_at.strftime('%d/%m/%Y %H:%M')} UTC: customs must release it "
                "before a pre-declaration can be sent.",
                code="on_hold",
            )


def _apply(p: Predeclaration, values: dict) -> None:
    p.office_id = values["office"].id
    p.customs_id = values["office"].customs_id
    p.expected_at = values["expected_at"]
    p.carriage = values["carriage"]
    p.transport_mode = values["transport_mode"]
    p.option = values["option"]
    p.shipment_number = values["shipment_number"]
    p.transport_id = values["transport_id"]
    p.representative_enc = (
        crypto.encrypt_json(values["representative"], _aad(p)) if values["representative"] else ""
    )


def send(
    session: Session,
    holder: Holder,
    voucher_id: int,
    data: PredeclarationInput,
    *,
    now: dt.datetime | None = None,
) -> Predeclaration:
    """F-50: send a pre-notification or pre-declaration for one voucher of the holder's travel."""
    now = now or now_utc()
    voucher = session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound("No such voucher.")
    get_travel(session, holder, voucher.travel_id)  # NotFound when not the holder's
    carnet, voucher = lock(session, voucher.id)
    _check_voucher(session, carnet, voucher, now.date())
    open_one = session.scalar(
        select(Predeclaration).where(
            Predeclaration.voucher_id == voucher.id, Predeclaration.state.in_(OPEN_STATES)
        )
    )
    if open_one is not None:
        office = session.get(Office, open_one.office_id)
        raise Conflict(
            f"This {label(voucher.kind)} already has a {kind_name(open_one)} "
            f"({STATE_LABELS[open_one.state]}) to {office.name if office else 'customs'}: "
            "a voucher has one open pre-declaration at a time. Change or withdraw it instead.",
            code="already_open",
        )
    values = _checked(session, voucher, data, now.date())
    p = Predeclaration(
        voucher_id=voucher.id,
        carnet_id=carnet.id,
        travel_id=voucher.travel_id,
        holder_id=holder.id,
        kind=voucher.kind,
        state="pending",
        version=1,
        created_at=now,
        updated_at=now,
    )
    _apply(p, values)
    session.add(p)
    session.flush()
    _audit_holder(session, "predeclaration.sent", holder, carnet, p)
    _tell_office(session, values["office"], carnet, p)
    session.flush()
    return p


def _lock(session: Session, predeclaration_id: int) -> Predeclaration:
    """The pre-declaration's row lock, then the row as committed (see the module docstring)."""
    if not is_pg(session):
        session.execute(
            update(Predeclaration)
            .where(Predeclaration.id == predeclaration_id)
            .values(version=Predeclaration.version)
            .execution_options(synchronize_session=False)
        )
    stmt = (
        select(Predeclaration)
        .where(Predeclaration.id == predeclaration_id)
        .execution_options(populate_existing=True)
    )
    if is_pg(session):
        stmt = stmt.with_for_update()
    p = session.scalar(stmt)
    if p is None:
        raise NotFound("No such pre-declaration.")
    return p


def _acted(p: Predeclaration) -> str:
    """What already happened to a pre-declaration that is no longer pending, as a sentence."""
    when = p.acted_at.strftime("%d/%m/%Y %H:%M") if p.acted_at else ""
    what = kind_name(p).capitalize()
    if p.state == "withdrawn":
        return f"This {kind_name(p)} was withdrawn by the holder ({when} UTC)."
    if p.state == "acknowledged":
        return f"{what} already acknowledged by customs ({p.acted_by}, {when} UTC)."
    if p.state == "rejected":
        return f"{what} already rejected by customs ({p.acted_by}, {when} UTC): {p.reason}"
    if p.state == "committed":
        return f"{what} already committed by customs ({p.acted_by}, {when} UTC)."
    return f"This {kind_name(p)} is {p.state}."


def _check_pending_for_holder(p: Predeclaration, action: str) -> None:
    if p.state != "pending":
        raise Conflict(
            _acted(p) + f" It can no longer be {action}.", code=f"predeclaration_{p.state}"
        )


def edit(
    session: Session,
    holder: Holder,
    predeclaration_id: int,
    data: PredeclarationInput,
    *,
    now: dt.datetime | None = None,
) -> Predeclaration:
    """Change a pending pre-declaration (until customs act on it)."""
    now = now or now_utc()
    holder_predeclaration(session, holder, predeclaration_id)
    p = _lock(session, predeclaration_id)
    _check_pending_for_holder(p, "changed")
    voucher = session.get(Voucher, p.voucher_id)
    carnet = session.get(Carnet, p.carnet_id)
    assert voucher is not None and carnet is not None  # foreign keys
    _check_voucher(session, carnet, voucher, now.date())
    values = _checked(session, voucher, data, now.date())
    moved = values["office"].id != p.office_id
    _apply(p, values)
    p.version += 1
    p.updated_at = now
    _audit_holder(session, "predeclaration.changed", holder, carnet, p)
    if moved:
        _tell_office(session, values["office"], carnet, p)
    session.flush()
    return p


def withdraw(
    session: Session, holder: Holder, predeclaration_id: int, *, now: dt.datetime | None = None
) -> Predeclaration:
    """Withdraw a pending pre-declaration; the voucher can be pre-declared again."""
    now = now or now_utc()
    holder_predeclaration(session, holder, predeclaration_id)
    p = _lock(session, predeclaration_id)
    _check_pending_for_holder(p, "withdrawn")
    p.state = "withdrawn"
    p.acted_at = now
    p.acted_by = holder.legal_name
    p.acted_by_account_id = None
    p.version += 1
    p.updated_at = now
    carnet = session.get(Carnet, p.carnet_id)
    assert carnet is not None
    _audit_holder(session, "predeclaration.withdrawn", holder, carnet, p)
    session.flush()
    return p


# --- the customs side -----------------------------------------------------------------------


def _check_officer(p: Predeclaration, officer: Officer) -> Office:
    """The officer's administration and region (R-16, R-17) — another's is not found."""
    account = officer.account
    office = officer.office
    if p.customs_id != account.customs_id or office is None or office.id != p.office_id:
        raise NotFound("No such pre-declaration.")
    # an API client (no role) acts for its whole administration; a person within their reach
    if getattr(account, "role", None) and not office_within_reach(account, office):
        raise PermissionDenied(
            f"Only an officer of {office.name}'s region can act on this {kind_name(p)}."
        )
    return office


def _act(
    session: Session, predeclaration_id: int, officer: Officer, states: tuple[str, ...], what: str
) -> Predeclaration:
    p = _lock(session, predeclaration_id)
    _check_officer(p, officer)
    if p.state not in states:
        raise Conflict(_acted(p) + f" It cannot be {what}.", code=f"predeclaration_{p.state}")
    return p


def _mark(p: Predeclaration, state: str, officer: Officer, now: dt.datetime) -> None:
    p.state = state
    p.acted_at = now
    p.acted_by = officer.account.full_name
    p.acted_by_account_id = officer.account.id
    p.version += 1
    p.updated_at = now


def acknowledge(
    session: Session, predeclaration_id: int, officer: Officer, *, now: dt.datetime | None = None
) -> Predeclaration:
    """Customs confirm the appointment: the holder's travel shows a green check (F-52)."""
    now = now or now_utc()
    p = _act(session, predeclaration_id, officer, ("pending",), "acknowledged")
    _mark(p, "acknowledged", officer, now)
    carnet = session.get(Carnet, p.carnet_id)
    assert carnet is not None
    office = session.get(Office, p.office_id)
    _audit_officer(session, "predeclaration.acknowledged", officer, carnet, p)
    _tell_holders(
        session,
        carnet,
        p,
        f"{kind_name(p).capitalize()} acknowledged",
        f"Customs at {office.name if office else 'the office'} acknowledged your "
        f"{kind_name(p)} for the {label(p.kind)} of carnet {carnet.carnet_number}, expected "
        f"on {p.expected_at.strftime('%d/%m/%Y %H:%M')}.",
    )
    session.flush()
    return p


def reject(
    session: Session,
    predeclaration_id: int,
    officer: Officer,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> Predeclaration:
    """Customs refuse it: the goods must stop at the office for inspection (red cross, F-52);
    the holder sees the reason. The voucher is untouched and can still be presented."""
    now = now or now_utc()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for the rejection.", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"The reason is too long: at most {MAX_REASON} characters.", "reason")
    p = _act(session, predeclaration_id, officer, OPEN_STATES, "rejected")
    _mark(p, "rejected", officer, now)
    p.reason = reason
    carnet = session.get(Carnet, p.carnet_id)
    assert carnet is not None
    office = session.get(Office, p.office_id)
    _audit_officer(session, "predeclaration.rejected", officer, carnet, p, reason=reason)
    _tell_holders(
        session,
        carnet,
        p,
        f"{kind_name(p).capitalize()} rejected: stop for inspection",
        f"Customs at {office.name if office else 'the office'} rejected your {kind_name(p)} "
        f"for the {label(p.kind)} of carnet {carnet.carnet_number}: {reason} "
        "The goods must stop at the customs office for inspection.",
    )
    session.flush()
    return p


def commit(
    session: Session,
    predeclaration_id: int,
    officer: Officer,
    *,
    fields: dict | None = None,
    step: str | None = None,
    commit_token: str | None = None,
    now: dt.datetime | None = None,
) -> CommitResult:
    """Commit a pre-declaration ("allow automatic transaction") at its office: the engine's
    `commit_voucher` with every rule (R-01 … R-11), and the pre-declaration marked committed
    in the same database transaction. A replay of the same commit token answers the first
    result (R-11)."""
    now = now or now_utc()
    p = _lock(session, predeclaration_id)
    _check_officer(p, officer)
    if p.state == "committed" and commit_token and p.transaction_id is not None:
        if committed_by_token(session, commit_token) == p.transaction_id:
            return commit_voucher(
                session,
                p.voucher_id,
                officer,
                fields=fields,
                step=step,
                commit_token=commit_token,
                now=now,
            )
    if p.option != "automatic":
        raise Conflict(
            "This is a pre-notification: the holder did not allow an automatic transaction. "
            "Acknowledge it, and process the carnet with New transaction when it arrives.",
            code="not_a_predeclaration",
        )
    if p.state not in OPEN_STATES:
        raise Conflict(_acted(p) + " It cannot be committed.", code=f"predeclaration_{p.state}")
    result = commit_voucher(
        session,
        p.voucher_id,
        officer,
        fields=fields,
        step=step,
        commit_token=commit_token,
        now=now,
    )
    _mark(p, "committed", officer, now)
    p.transaction_id = result.transaction_id
    carnet = session.get(Carnet, p.carnet_id)
    assert carnet is not None
    _audit_officer(
        session,
        "predeclaration.committed",
        officer,
        carnet,
        p,
        transaction_id=result.transaction_id,
    )
    session.flush()
    return result


def prefilled_fields(p: Predeclaration) -> dict[str, str]:
    """The commit's fields pre-filled from what was pre-declared: the shipment and the means of
    transport as the customs reference and remarks (the officer can change them)."""
    remarks = (
        f"Pre-declared: {CARRIAGES[p.carriage].lower()}, {TRANSPORT_MODES[p.transport_mode]}"
        + (f" {p.transport_id}" if p.transport_id else "")
        + f", expected {p.expected_at.strftime('%d/%m/%Y %H:%M')}."
    )
    return {"reference": p.shipment_number, "remarks": remarks}


def transaction_of(session: Session, p: Predeclaration) -> Transaction | None:
    return session.get(Transaction, p.transaction_id) if p.transaction_id else None


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


def _audit_holder(
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


def _audit_officer(
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


def _tell_holders(session: Session, carnet: Carnet, p: Predeclaration, title: str, body: str):
    """A wallet notification for every holder of the carnet, with its outbox signal and an
    email through the outbox (F-52)."""
    voucher = session.get(Voucher, p.voucher_id)
    notify(session, carnet, "predeclaration", title=title, body=body, voucher=voucher, email=True)


def _tell_office(session: Session, office: Office, carnet: Carnet, p: Predeclaration) -> None:
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


# --- presentation (web pages and APIs) ---------------------------------------------------------


def details(session: Session, p: Predeclaration, carnet: Carnet | None = None) -> dict:
    """What customs see of a pre-declaration. A pre-notification "only" (sent without the
    carnet's details) shows the carnet's number but not its holder nor its goods."""
    carnet = carnet or session.get(Carnet, p.carnet_id)
    assert carnet is not None
    office = session.get(Office, p.office_id)
    out: dict = {
        "id": p.id,
        "type": kind_name(p),
        "kind": p.kind,
        "kind_label": label(p.kind),
        "option": p.option,
        "option_label": OPTIONS[p.option],
        "state": p.state,
        "reason": p.reason,
        "carnet_number": carnet.carnet_number,
        "eata_id": carnet.eata_id,
        "carnet_type": carnet.carnet_type,
        "office_id": p.office_id,
        "office_name": office.name if office else "",
        "expected_at": p.expected_at,
        "carriage": p.carriage,
        "carriage_label": CARRIAGES[p.carriage],
        "shipment_number": p.shipment_number,
        "transport_mode": p.transport_mode,
        "transport_mode_label": TRANSPORT_MODES[p.transport_mode],
        "transport_id": p.transport_id,
        "representative": representative_of(p),
        "acted_by": p.acted_by,
        "acted_at": p.acted_at,
        "transaction_id": p.transaction_id,
        "created_at": p.created_at,
        "with_details": p.option != "notification_only",
        "holder": None,
        "goods": [],
    }
    if out["with_details"]:
        out["holder"] = (holder_of(carnet) or {}).get("name", "")
        voucher = session.get(Voucher, p.voucher_id)
        assert voucher is not None
        out["goods"] = [
            {"no": item.item_no, "description": item_description(carnet, item), "pieces": qty}
            for item, qty in voucher_lines(session, carnet, voucher)
        ]
    return out


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def as_json(session: Session, p: Predeclaration, carnet: Carnet | None = None) -> dict:
    """A pre-declaration for the customs API (schema CustomsPredeclaration)."""
    d = details(session, p, carnet)
    return {
        "predeclaration_id": p.id,
        "type": d["type"],
        "kind": p.kind,
        "option": p.option,
        "state": p.state,
        "reason": p.reason or None,
        "eata_id": d["eata_id"],
        "carnet_number": d["carnet_number"],
        "holder": d["holder"],
        "office_id": p.office_id,
        "office": d["office_name"],
        # the office's local time as the holder typed it: no time zone
        "expected_at": p.expected_at.replace(microsecond=0).isoformat(),
        "carriage": p.carriage,
        "shipment_number": p.shipment_number,
        "transport_mode": p.transport_mode,
        "transport_id": p.transport_id,
        "representative": d["representative"] or None,
        "goods": [
            {"item_no": g["no"], "description": g["description"], "pieces": g["pieces"]}
            for g in d["goods"]
        ],
        "acted_by": p.acted_by or None,
        "acted_at": _iso(p.acted_at),
        "transaction_id": p.transaction_id,
        "created_at": _iso(p.created_at),
    }


def of_carnet(session: Session, carnet_id: int) -> list[dict]:
    """The carnet's pre-declarations as its NGA sees them (NICS API): where, when, what state —
    not the representative nor the rejection's reason."""
    rows = session.execute(
        select(Predeclaration, Office.name, Office.country_code)
        .join(Office, Office.id == Predeclaration.office_id)
        .where(Predeclaration.carnet_id == carnet_id)
        .order_by(Predeclaration.created_at, Predeclaration.id)
    ).all()
    return [
        {
            "predeclaration_id": p.id,
            "type": kind_name(p),
            "kind": p.kind,
            "state": p.state,
            "office": name,
            "country": country,
            "expected_at": p.expected_at.replace(microsecond=0).isoformat(),
            "transport_mode": p.transport_mode,
            "created_at": _iso(p.created_at),
        }
        for p, name, country in rows
    ]
