"""The holder's side (F-50): send, edit and withdraw while pending; refusals in words (R-12)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError, NotFound, crypto
from portal.domain.predeclarations.notices import audit_holder, tell_office
from portal.domain.predeclarations.reading import holder_predeclaration, offices_for_voucher
from portal.domain.predeclarations.vocabulary import (
    CARRIAGES,
    MAX_DAYS_AHEAD,
    OPTIONS,
    STATE_LABELS,
    TRANSPORT_MODES,
    PredeclarationInput,
    kind_name,
    representative_aad,
)
from portal.domain.rules import active_hold, check_status, country_name, label
from portal.domain.transactions.locking import is_pg, lock
from portal.domain.travels import get_travel
from portal.models import (
    Carnet,
    Country,
    Holder,
    Office,
    Predeclaration,
    Voucher,
)
from portal.models.predeclarations import OPEN_STATES

# --- the holder's side ----------------------------------------------------------------------


# the fields' names inside the refusals of _text
FIELD_NAMES = {
    "rep_name": _l("representative's name"),
    "rep_eori": _l("representative's EORI or ID"),
    "rep_city": _l("representative's city"),
    "rep_country": _l("representative's country"),
    "shipment_number": _l("shipment number"),
    "transport_id": _l("identification"),
}


def _text(value: Any, name: str, max_len: int) -> str:
    text = str(value or "").strip()
    what = FIELD_NAMES[name]
    if len(text) > max_len:
        raise DomainError(
            _("The %(what)s is too long: at most %(count)s characters.", what=what, count=max_len),
            field=name,
        )
    if any(ord(c) < 32 for c in text):
        raise DomainError(_("The %(what)s cannot hold control characters.", what=what), field=name)
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
    raise DomainError(_("Give the expected date as dd/mm/yyyy."), field="expected_date")


def _parse_time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    raw = str(value or "").strip()
    try:
        return dt.datetime.strptime(raw, "%H:%M").time()
    except ValueError:
        raise DomainError(
            _("Give the estimated time as HH:MM (24 hours)."), field="expected_time"
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
            _(
                "Choose a customs office in %(country)s's customs territory.",
                country=country_name(session, voucher.country_code),
            ),
            field="office_id",
        )
    day = _parse_date(data.expected_date)
    if day < today - dt.timedelta(days=1):
        raise DomainError(_("The expected date is in the past."), field="expected_date")
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise DomainError(_("The expected date is more than a year ahead."), field="expected_date")
    at = dt.datetime.combine(day, _parse_time(data.expected_time))
    if data.carriage not in CARRIAGES:
        raise DomainError(_("Choose cargo or hand carry."), field="carriage")
    if data.transport_mode not in TRANSPORT_MODES:
        raise DomainError(
            _("Choose the mode of transport: air, sea or land."), field="transport_mode"
        )
    if data.option not in OPTIONS:
        raise DomainError(_("Choose one of the options."), field="option")
    rep_in = data.representative or {}
    rep = {
        "name": _text(rep_in.get("name"), "rep_name", 200),
        "eori": _text(rep_in.get("eori"), "rep_eori", 40),
        "city": _text(rep_in.get("city"), "rep_city", 120),
        "country": _text(rep_in.get("country"), "rep_country", 2).upper(),
    }
    if rep["country"] and session.get(Country, rep["country"]) is None:
        raise DomainError(_("Choose the representative's country."), field="rep_country")
    if any(rep.values()) and not rep["name"]:
        raise DomainError(_("Give the representative's name."), field="rep_name")
    return {
        "office": office,
        "expected_at": at,
        "carriage": data.carriage,
        "transport_mode": data.transport_mode,
        "option": data.option,
        "shipment_number": _text(data.shipment_number, "shipment_number", 100),
        "transport_id": _text(data.transport_id, "transport_id", 100),
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
            _(
                "This voucher was cancelled when the travel was changed or deleted: open the "
                "travel's current vouchers."
            ),
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
        crypto.encrypt_json(values["representative"], representative_aad(p))
        if values["representative"]
        else ""
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
        raise NotFound(_("No such voucher."))
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
    audit_holder(session, "predeclaration.sent", holder, carnet, p)
    tell_office(session, values["office"], carnet, p)
    session.flush()
    return p


def lock_predeclaration(session: Session, predeclaration_id: int) -> Predeclaration:
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
        raise NotFound(_("No such pre-declaration."))
    return p


def what_happened(p: Predeclaration) -> str:
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
            what_happened(p) + f" It can no longer be {action}.", code=f"predeclaration_{p.state}"
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
    p = lock_predeclaration(session, predeclaration_id)
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
    audit_holder(session, "predeclaration.changed", holder, carnet, p)
    if moved:
        tell_office(session, values["office"], carnet, p)
    session.flush()
    return p


def withdraw(
    session: Session, holder: Holder, predeclaration_id: int, *, now: dt.datetime | None = None
) -> Predeclaration:
    """Withdraw a pending pre-declaration; the voucher can be pre-declared again."""
    now = now or now_utc()
    holder_predeclaration(session, holder, predeclaration_id)
    p = lock_predeclaration(session, predeclaration_id)
    _check_pending_for_holder(p, "withdrawn")
    p.state = "withdrawn"
    p.acted_at = now
    p.acted_by = holder.legal_name
    p.acted_by_account_id = None
    p.version += 1
    p.updated_at = now
    carnet = session.get(Carnet, p.carnet_id)
    assert carnet is not None
    audit_holder(session, "predeclaration.withdrawn", holder, carnet, p)
    session.flush()
    return p
