"""The carnet registry: issuance and life-cycle (F-20 … F-23, F-25, F-26, R-12).

Functions take a session and an Actor and add their changes plus an audit event to the
session; the caller commits. Refusals raise DomainError subclasses with a sentence a person
can read. Holder data, representatives and the general list's text are encrypted here and
nowhere else (see crypto.py); the associated data names the row, e.g. "carnet:<eata_id>:holder".
"""
from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.db import now_utc
from portal.domain import Conflict, DomainError, NotFound, audit, crypto
from portal.domain.api_clients import Actor
from portal.domain.codes import new_digits
from portal.domain.passwords import hash_secret
from portal.models import (
    NGA,
    SET_KINDS,
    AuditEvent,
    Carnet,
    CarnetCountry,
    CarnetLink,
    CarnetSets,
    Country,
    Currency,
    GoodsItem,
    IssuingAssociation,
)

CARNET_TYPES = ("ATA", "CPD")
FORMATS = ("digital", "paper_clone", "twin")
INTENDED_USES = ("professional_equipment", "commercial_samples", "exhibitions_fairs")
UNITS = ("kg", "g", "t", "l", "m3")
SET_LABELS = {
    "export_reimport": "export/re-import",
    "import_reexport": "import/re-export",
    "transit": "transit",
}
STATUS_LABELS = {
    "issued": "issued", "active": "active", "cancelled": "cancelled", "blocked": "blocked",
    "discharged": "discharged", "expired": "expired",
}
MAX_SETS_PER_KIND = 99
PIN_DIGITS = 8
EATA_ID_MIN, EATA_ID_MAX = 100_000_000, 999_999_999  # nine digits, random: not enumerable


class ValidationFailed(DomainError):
    """Input refused, with every failing field: [{"field": "items[2].value", "message": …}]."""

    status = 422

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} field(s) are not valid.", code="validation")
        self.errors = errors


def fmt_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --- encryption helpers: the only way to read a carnet's confidential contents ---------------

def _holder_aad(eata_id: int) -> str:
    return f"carnet:{eata_id}:holder"


def _reps_aad(eata_id: int) -> str:
    return f"carnet:{eata_id}:representatives"


def _item_aad(eata_id: int, item_no: int, field: str) -> str:
    return f"goods_item:{eata_id}:{item_no}:{field}"


def holder_of(carnet: Carnet) -> dict:
    return crypto.decrypt_json(carnet.holder_enc, _holder_aad(carnet.eata_id))


def representatives_of(carnet: Carnet) -> list[dict]:
    return crypto.decrypt_json(carnet.representatives_enc, _reps_aad(carnet.eata_id))


def item_description(carnet: Carnet, item: GoodsItem) -> str:
    return crypto.decrypt(item.description_enc, _item_aad(carnet.eata_id, item.item_no, "description"))


def item_marks(carnet: Carnet, item: GoodsItem) -> str | None:
    if item.marks_enc is None:
        return None
    return crypto.decrypt(item.marks_enc, _item_aad(carnet.eata_id, item.item_no, "marks"))


# --- validation ----------------------------------------------------------------------------

def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _date(value) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def check_carnet_input(session: Session, nga: NGA, data: dict, today: dt.date,
                       original: Carnet | None = None) -> list[dict]:
    """The business checks of a carnet body (the JSON schema checks shapes and types; this
    checks meaning). Defensive about types, so both lists can be reported together."""
    errors: list[dict] = []

    def err(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    mentioned = {data.get("departure_country")}
    if isinstance(data.get("countries"), list):
        mentioned.update(data["countries"])
    if isinstance(data.get("items"), list):
        mentioned.update(i.get("origin_country") for i in data["items"] if isinstance(i, dict))
    mentioned = {c for c in mentioned if isinstance(c, str)}
    status_of = dict(session.execute(
        select(Country.code, Country.ata_status).where(Country.code.in_(mentioned))).all())
    countries = set(status_of)
    ata_countries = {c for c, st in status_of.items() if st in ("paper", "digital")}

    issue_date, valid_until = _date(data.get("issue_date")), _date(data.get("valid_until"))
    if "issue_date" in data and issue_date is None:
        err("issue_date", "Give the issue date as YYYY-MM-DD.")
    if "valid_until" in data and valid_until is None:
        err("valid_until", "Give the validity date as YYYY-MM-DD.")
    if issue_date and issue_date > today:
        err("issue_date", f"The issue date {fmt_date(issue_date)} is in the future.")
    if issue_date and valid_until:
        if valid_until < issue_date:
            err("valid_until", "The carnet cannot expire before it is issued.")
        elif valid_until > one_year_after(issue_date):
            err("valid_until", f"A carnet is valid at most one year: issued on "
                f"{fmt_date(issue_date)}, it can be valid until {fmt_date(one_year_after(issue_date))} "
                f"at the latest.")
    if valid_until and valid_until < today:
        err("valid_until", f"The validity date {fmt_date(valid_until)} has already passed.")
    if original is not None and valid_until:
        limit = _years_after(original.issue_date, 2)
        if valid_until > limit:
            err("valid_until", f"With its replacement, a stay may not exceed 24 months from the "
                f"original's issue ({fmt_date(original.issue_date)}): valid until "
                f"{fmt_date(limit)} at the latest.")

    number = data.get("carnet_number")
    if isinstance(number, str) and session.scalar(
            select(Carnet.id).where(Carnet.carnet_number == number)):
        err("carnet_number", f"A carnet numbered {number} already exists.")

    currency = data.get("currency")
    if isinstance(currency, str) and session.get(Currency, currency) is None:
        err("currency", f"{currency} is not an ISO 4217 currency code.")

    dep = data.get("departure_country")
    if isinstance(dep, str) and dep not in countries:
        err("departure_country", f"{dep} is not an ISO 3166 country code.")

    ia_id = data.get("issuing_association_id")
    if isinstance(ia_id, int) and not isinstance(ia_id, bool):
        ia = session.get(IssuingAssociation, ia_id)
        if ia is None or ia.nga_id != nga.id:
            err("issuing_association_id", "No issuing association with this id under your NGA.")

    box_p = data.get("countries")
    if isinstance(box_p, list):
        if not box_p:
            err("countries", "Box P needs at least one country.")
        seen: set[str] = set()
        for i, code in enumerate(box_p):
            if not isinstance(code, str):
                continue
            if code not in countries:
                err(f"countries[{i}]", f"{code} is not an ISO 3166 country code.")
            elif code not in ata_countries:
                err(f"countries[{i}]", f"{code} does not accept ATA carnets.")
            if code in seen:
                err(f"countries[{i}]", f"{code} is listed twice.")
            seen.add(code)

    items = data.get("items")
    if isinstance(items, list):
        if not items:
            err("items", "The general list needs at least one item.")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            no = item.get("item_no")
            if isinstance(no, int) and not isinstance(no, bool) and no != i + 1:
                err(f"items[{i}].item_no", f"Items are numbered 1 to {len(items)} in order: "
                    f"this one should be {i + 1}, not {no}.")
            origin = item.get("origin_country")
            if isinstance(origin, str) and origin not in countries:
                err(f"items[{i}].origin_country", f"{origin} is not an ISO 3166 country code.")
            value = _decimal(item.get("value"))
            if value is not None and value > 0 and value != value.quantize(Decimal("0.01")):
                err(f"items[{i}].value", "Give the value with at most 2 decimals.")
            quantity = _decimal(item.get("quantity"))
            if quantity is not None and quantity > 0 and quantity != quantity.quantize(Decimal("0.001")):
                err(f"items[{i}].quantity", "Give the weight or volume with at most 3 decimals.")
            if ("quantity" in item) != ("unit" in item):
                err(f"items[{i}].unit", "Give the weight/volume and its unit together.")

    sets = data.get("sets")
    if isinstance(sets, dict) and all(isinstance(v, int) for v in sets.values()):
        if sum(v for v in sets.values() if v > 0) == 0:
            err("sets", "The carnet needs at least one set.")

    fmt = data.get("format")
    paper = data.get("paper_carnet_number")
    if fmt in ("paper_clone", "twin") and not paper:
        err("paper_carnet_number", "A paper clone or twin names its paper carnet's number.")
    if fmt == "digital" and paper:
        err("paper_carnet_number", "A digital carnet has no paper carnet number.")
    if fmt == "paper_clone" and paper and number and paper != number:
        err("paper_carnet_number", "A digital clone carries the same number as its paper carnet.")
    return errors


# --- snapshots for the audit trail and the API ----------------------------------------------

def snapshot(carnet: Carnet) -> dict:
    """The non-confidential state recorded as before/after in audit events."""
    return {
        "status": carnet.status,
        "status_reason": carnet.status_reason,
        "valid_until": carnet.valid_until.isoformat(),
        "sets": {s.kind: {"issued": s.issued, "remaining": s.remaining} for s in carnet.sets},
        "item_count": carnet.item_count,
        "total_value": str(carnet.total_value),
    }


def _audit(session: Session, action: str, carnet: Carnet, actor: Actor,
           before: dict | None, extra: dict | None = None) -> None:
    data = {"carnet_number": carnet.carnet_number, "before": before, "after": snapshot(carnet)}
    if extra:
        data.update(extra)
    audit.record(session, action, actor_type=actor.type, actor_id=actor.id,
                 actor_label=actor.label, ip=actor.ip, object_type="carnet",
                 object_id=carnet.eata_id, data=data)


def _new_eata_id(session: Session) -> int:
    while True:
        candidate = secrets.randbelow(EATA_ID_MAX - EATA_ID_MIN + 1) + EATA_ID_MIN
        if session.scalar(select(Carnet.id).where(Carnet.eata_id == candidate)) is None:
            return candidate


# --- issuance -------------------------------------------------------------------------------

def issue_carnet(session: Session, nga: NGA, data: dict, actor: Actor, *,
                 today: dt.date | None = None, original: Carnet | None = None,
                 checked: bool = False) -> tuple[Carnet, str]:
    """Register a carnet; returns it and its download PIN (shown once, stored as argon2).
    `checked`: the caller already ran check_carnet_input (with the schema checks)."""
    today = today or now_utc().date()
    if not checked:
        errors = check_carnet_input(session, nga, data, today, original)
        if errors:
            raise ValidationFailed(errors)
    eata_id = _new_eata_id(session)
    pin = new_digits(PIN_DIGITS)
    items = data["items"]
    total_value = sum((Decimal(str(i["value"])) for i in items), Decimal("0"))
    weights = [Decimal(str(i["quantity"])) for i in items
               if i.get("unit") in ("kg", "g", "t") and i.get("quantity") is not None]
    to_kg = {"kg": Decimal(1), "g": Decimal("0.001"), "t": Decimal(1000)}
    total_weight = sum(
        (Decimal(str(i["quantity"])) * to_kg[i["unit"]] for i in items
         if i.get("unit") in to_kg and i.get("quantity") is not None), Decimal("0")
    ) if weights else None
    carnet = Carnet(
        eata_id=eata_id,
        carnet_number=data["carnet_number"],
        carnet_type=data["carnet_type"],
        order_type="replacement" if original is not None else "original",
        format=data["format"],
        nga_id=nga.id,
        issuing_association_id=data.get("issuing_association_id"),
        departure_country=data.get("departure_country") or nga.country_code,
        issue_date=dt.date.fromisoformat(data["issue_date"]),
        valid_until=dt.date.fromisoformat(data["valid_until"]),
        intended_use=data["intended_use"],
        currency=data["currency"],
        holder_enc=crypto.encrypt_json(data["holder"], _holder_aad(eata_id)),
        representatives_enc=crypto.encrypt_json(data.get("representatives", []),
                                                _reps_aad(eata_id)),
        item_count=len(items),
        total_value=total_value.quantize(Decimal("0.01")),
        total_weight=total_weight.quantize(Decimal("0.001")) if total_weight is not None else None,
        status="issued",
        pin_hash=hash_secret(pin),
        created_by_client_pk=actor.id if actor.type == "api_client" else None,
    )
    for item in items:
        carnet.items.append(GoodsItem(
            item_no=item["item_no"],
            pieces=item["pieces"],
            description_enc=crypto.encrypt(
                item["description"], _item_aad(eata_id, item["item_no"], "description")),
            marks_enc=crypto.encrypt(item["marks"], _item_aad(eata_id, item["item_no"], "marks"))
            if item.get("marks") else None,
            origin_country=item["origin_country"],
            value=Decimal(str(item["value"])).quantize(Decimal("0.01")),
            quantity=Decimal(str(item["quantity"])).quantize(Decimal("0.001"))
            if item.get("quantity") is not None else None,
            unit=item.get("unit"),
        ))
    for code in data["countries"]:
        carnet.countries.append(CarnetCountry(country_code=code))
    for kind in SET_KINDS:
        count = data["sets"].get(kind, 0)
        carnet.sets.append(CarnetSets(kind=kind, issued=count, remaining=count))
    if data["format"] in ("paper_clone", "twin"):
        carnet.links.append(CarnetLink(kind=data["format"],
                                       linked_number=data["paper_carnet_number"]))
    session.add(carnet)
    session.flush()
    if original is not None:
        carnet.links.append(CarnetLink(kind="replaces", linked_carnet_id=original.id,
                                       linked_number=original.carnet_number))
        original.links.append(CarnetLink(kind="replaced_by", linked_carnet_id=carnet.id,
                                         linked_number=carnet.carnet_number))
        session.flush()
    _audit(session, "carnet.issued", carnet, actor, None,
           {"order_type": carnet.order_type, "format": carnet.format,
            "original": original.eata_id if original is not None else None})
    return carnet, pin


# --- look-ups -------------------------------------------------------------------------------

def _loaded():
    return (selectinload(Carnet.items), selectinload(Carnet.countries),
            selectinload(Carnet.sets), selectinload(Carnet.links))


def get_for_nga(session: Session, nga_id: int, eata_id: int, *, for_update: bool = False
                ) -> Carnet:
    """The carnet of this NGA; another NGA's carnet is not found, exactly like a missing one."""
    stmt = select(Carnet).where(Carnet.eata_id == eata_id, Carnet.nga_id == nga_id)
    if for_update:
        stmt = stmt.with_for_update()
    carnet = session.scalar(stmt.options(*_loaded()))
    if carnet is None:
        raise NotFound(f"No carnet with eATA ID {eata_id}.")
    return carnet


def find_by_number(session: Session, nga_id: int, carnet_number: str) -> Carnet:
    carnet = session.scalar(select(Carnet).where(
        Carnet.carnet_number == carnet_number, Carnet.nga_id == nga_id).options(*_loaded()))
    if carnet is None:
        raise NotFound(f"No carnet numbered {carnet_number}.")
    return carnet


def list_for_nga(session: Session, nga_id: int, *, page: int = 1, per_page: int = 50,
                 status: str | None = None, today: dt.date | None = None
                 ) -> tuple[list[Carnet], int]:
    today = today or now_utc().date()
    cond = [Carnet.nga_id == nga_id]
    if status == "expired":
        cond.append((Carnet.status == "expired") | (
            Carnet.status.in_(("issued", "active")) & (Carnet.valid_until < today)))
    elif status in ("issued", "active"):
        cond += [Carnet.status == status, Carnet.valid_until >= today]
    elif status:
        cond.append(Carnet.status == status)
    total = session.scalar(select(func.count()).select_from(Carnet).where(*cond)) or 0
    rows = session.scalars(
        select(Carnet).where(*cond).options(selectinload(Carnet.sets))
        .order_by(Carnet.created_at.desc(), Carnet.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


# --- life-cycle -----------------------------------------------------------------------------

def _refuse(carnet: Carnet, status: str, action: str) -> Conflict:
    """Why `action` is not possible on a carnet in `status`, in words (R-12)."""
    n = carnet.carnet_number
    if status == "discharged":
        msg = f"Carnet {n} has been discharged: nothing can change on it any more."
    elif status == "cancelled":
        msg = f"Carnet {n} has been cancelled: nothing can change on it any more."
    elif status == "expired" and action in ("add_sets", "block", "cancel"):
        msg = (f"Carnet {n} expired on {fmt_date(carnet.valid_until)}: only re-exportation and "
               f"re-importation remain possible; it can be replaced or discharged.")
    elif status == "blocked" and action in ("add_sets", "block", "cancel"):
        verb = {"add_sets": "adding sets", "block": "blocking it again", "cancel": "cancelling it"}
        msg = f"Carnet {n} is blocked: unblock it before {verb[action]}."
    elif status == "active" and action == "cancel":
        msg = (f"Carnet {n} has already been validated by customs: it can no longer be "
               f"cancelled. Discharge it once the goods are back.")
    elif status == "issued" and action == "discharge":
        msg = (f"Carnet {n} was never validated by customs: there is nothing to discharge. "
               f"Cancel it instead.")
    elif status == "issued" and action == "replace":
        msg = (f"Carnet {n} was never validated by customs: cancel it and issue a new carnet "
               f"rather than a replacement.")
    elif action == "unblock":
        msg = f"Carnet {n} is not blocked (it is {STATUS_LABELS[status]})."
    else:
        msg = f"Carnet {n} is {STATUS_LABELS[status]}: this action is not possible."
    return Conflict(msg, code=f"carnet_{status}")


ALLOWED_FROM = {
    "add_sets": ("issued", "active"),
    "cancel": ("issued",),
    "block": ("issued", "active"),
    "unblock": ("blocked",),
    "discharge": ("active", "blocked", "expired"),
    "replace": ("active", "blocked", "expired"),
}


def check_allowed(carnet: Carnet, action: str, today: dt.date) -> str:
    """The carnet's effective status if `action` is allowed from it; Conflict otherwise."""
    status = carnet.effective_status(today)
    if status not in ALLOWED_FROM[action]:
        raise _refuse(carnet, status, action)
    return status


def add_sets(session: Session, carnet: Carnet, kind: str, count: int, actor: Actor, *,
             today: dt.date | None = None) -> Carnet:
    today = today or now_utc().date()
    check_allowed(carnet, "add_sets", today)
    sets = carnet.sets_of(kind)
    if sets is None:
        sets = CarnetSets(kind=kind, issued=0, remaining=0)
        carnet.sets.append(sets)
    if count < 1 or sets.issued + count > MAX_SETS_PER_KIND:
        raise ValidationFailed([{"field": "count", "message":
                                 f"A carnet holds at most {MAX_SETS_PER_KIND} {SET_LABELS[kind]} "
                                 f"sets; it has {sets.issued}."}])
    before = snapshot(carnet)
    sets.issued += count
    sets.remaining += count
    carnet.updated_at = now_utc()
    _audit(session, "carnet.sets_added", carnet, actor, before, {"kind": kind, "count": count})
    return carnet


def _set_status(session: Session, carnet: Carnet, status: str, reason: str, action: str,
                actor: Actor) -> Carnet:
    before = snapshot(carnet)
    carnet.status = status
    carnet.status_reason = reason
    carnet.updated_at = now_utc()
    _audit(session, action, carnet, actor, before)
    return carnet


def cancel(session: Session, carnet: Carnet, reason: str, actor: Actor, *,
           today: dt.date | None = None) -> Carnet:
    check_allowed(carnet, "cancel", today or now_utc().date())
    for s in carnet.sets:
        s.remaining = 0
    return _set_status(session, carnet, "cancelled", reason, "carnet.cancelled", actor)


def block(session: Session, carnet: Carnet, reason: str, actor: Actor, *,
          today: dt.date | None = None) -> Carnet:
    check_allowed(carnet, "block", today or now_utc().date())
    return _set_status(session, carnet, "blocked", reason, "carnet.blocked", actor)


def unblock(session: Session, carnet: Carnet, reason: str, actor: Actor, *,
            today: dt.date | None = None) -> Carnet:
    check_allowed(carnet, "unblock", today or now_utc().date())
    status = "active" if carnet.activated_at is not None else "issued"
    return _set_status(session, carnet, status, reason, "carnet.unblocked", actor)


def discharge(session: Session, carnet: Carnet, reason: str, actor: Actor, *,
              today: dt.date | None = None) -> Carnet:
    """Terminate a returned carnet; its unused vouchers are blocked (F-74)."""
    check_allowed(carnet, "discharge", today or now_utc().date())
    for s in carnet.sets:
        s.remaining = 0
    return _set_status(session, carnet, "discharged", reason, "carnet.discharged", actor)


def issue_replacement(session: Session, nga: NGA, original: Carnet, data: dict, actor: Actor,
                      *, today: dt.date | None = None, checked: bool = False
                      ) -> tuple[Carnet, str]:
    today = today or now_utc().date()
    check_allowed(original, "replace", today)
    replaced = next((link for link in original.links if link.kind == "replaced_by"), None)
    if replaced is not None:
        raise Conflict(f"Carnet {original.carnet_number} has already been replaced by carnet "
                       f"{replaced.linked_number}.", code="carnet_replaced")
    before = snapshot(original)
    carnet, pin = issue_carnet(session, nga, data, actor, today=today, original=original,
                               checked=checked)
    _audit(session, "carnet.replaced", original, actor, before,
           {"replacement": carnet.eata_id, "replacement_number": carnet.carnet_number})
    return carnet, pin


def mark_activated(carnet: Carnet, at: dt.datetime | None = None) -> None:
    """Validation by customs (R-01) — called by the transaction engine."""
    carnet.status = "active"
    carnet.activated_at = at or now_utc()


# --- audit trail ----------------------------------------------------------------------------

def audit_trail(session: Session, eata_id: int) -> list[AuditEvent]:
    """Every recorded change of a carnet, oldest first (F-25)."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "carnet",
                                 AuditEvent.object_id == str(eata_id))
        .order_by(AuditEvent.at, AuditEvent.id)
    ))


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        out: dict = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def describe_changes(before: dict | None, after: dict | None) -> list[tuple[str, object, object]]:
    """(field, before, after) for every field an audit event changed."""
    old, new = _flatten(before or {}), _flatten(after or {})
    if before is None:
        return [(k, None, v) for k, v in new.items() if v not in ("", None)]
    return [(k, old.get(k), new.get(k)) for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)]


ACTOR_LABELS = {"api_client": "API client", "account": "customs account", "holder": "holder",
                "operator": "operator", "system": "system"}


def audit_lines(session: Session, eata_id: int) -> list[dict]:
    """The audit trail made readable: when, what, who (and from where), what changed."""
    lines = []
    for event in audit_trail(session, eata_id):
        data = event.data or {}
        changes = describe_changes(data.get("before"), data.get("after"))
        lines.append({
            "at": event.at,
            "action": event.action,
            "actor_type": event.actor_type,
            "actor": f"{ACTOR_LABELS.get(event.actor_type, event.actor_type)} "
                     f"{event.actor_label}".strip(),
            "ip": event.ip,
            "customs_id": event.customs_id,
            "change_list": changes,
            "changes": "; ".join(
                f"{k}: {'—' if a is None else a} → {'—' if b is None else b}"
                for k, a, b in changes) if data.get("before") is not None else "created",
            "extra": {k: v for k, v in data.items() if k not in ("before", "after")},
        })
    return lines


def get_by_eata_id(session: Session, eata_id: int) -> Carnet:
    carnet = session.scalar(select(Carnet).where(Carnet.eata_id == eata_id))
    if carnet is None:
        raise NotFound(f"No carnet with eATA ID {eata_id}.")
    return carnet


# --- key rotation ---------------------------------------------------------------------------

def rotate_keys(session: Session, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every carnet field not under the primary data key (`flask keys rotate`).
    Commits per batch, so it can run on a live system and be resumed."""
    ring = crypto.keyring()
    primary = ring.primary
    counts = {"carnets": 0, "goods_items": 0}
    last_id = 0
    while True:
        carnets = session.scalars(
            select(Carnet).where(Carnet.id > last_id).order_by(Carnet.id).limit(batch)
            .options(selectinload(Carnet.items))
        ).all()
        if not carnets:
            break
        for carnet in carnets:
            last_id = carnet.id
            e = carnet.eata_id
            if ring.key_id_of(carnet.holder_enc) != primary:
                carnet.holder_enc = crypto.encrypt(
                    crypto.decrypt(carnet.holder_enc, _holder_aad(e)), _holder_aad(e))
                carnet.representatives_enc = crypto.encrypt(
                    crypto.decrypt(carnet.representatives_enc, _reps_aad(e)), _reps_aad(e))
                counts["carnets"] += 1
            for item in carnet.items:
                changed = False
                for field in ("description", "marks"):
                    attr = f"{field}_enc"
                    token = getattr(item, attr)
                    if token is not None and ring.key_id_of(token) != primary:
                        aad = _item_aad(e, item.item_no, field)
                        setattr(item, attr, crypto.encrypt(crypto.decrypt(token, aad), aad))
                        changed = True
                counts["goods_items"] += changed
        session.commit()
    from portal.models import IdempotencyRecord

    counts["idempotency_records"] = 0
    for record in session.scalars(select(IdempotencyRecord)):
        if ring.key_id_of(record.response_enc) != primary:
            aad = f"idempotency:{record.client_pk}:{record.key}"
            record.response_enc = crypto.encrypt(crypto.decrypt(record.response_enc, aad), aad)
            counts["idempotency_records"] += 1
    session.commit()
    return counts
