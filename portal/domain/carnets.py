"""The carnet registry: issuance and life-cycle (F-20 … F-23, F-25, F-26, R-12).

Functions take a session and an Actor and add their changes plus an audit event to the
session; the caller commits. Refusals raise DomainError subclasses with a sentence a person
can read. Holder data, representatives and the general list's text are encrypted here and
nowhere else (see crypto.py); the associated data names the row, e.g. "carnet:<eata_id>:holder".
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.db import MAX_ID, now_utc
from portal.domain import Conflict, DomainError, NotFound, audit, crypto
from portal.domain.api_clients import Actor
from portal.domain.carnet_input import (  # noqa: F401  (re-exported)
    check_carnet_input,
    fmt_date,
    one_year_after,
)
from portal.domain.codes import new_digits
from portal.domain.paging import Page, paginate
from portal.domain.passwords import hash_secret, verify_secret
from portal.models import (
    NGA,
    SET_KINDS,
    AuditEvent,
    Carnet,
    CarnetCountry,
    CarnetLink,
    CarnetSets,
    Country,
    GoodsItem,
    Transaction,
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
    "issued": "issued",
    "active": "active",
    "cancelled": "cancelled",
    "blocked": "blocked",
    "discharged": "discharged",
    "expired": "expired",
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
    return crypto.decrypt(
        item.description_enc, _item_aad(carnet.eata_id, item.item_no, "description")
    )


def item_marks(carnet: Carnet, item: GoodsItem) -> str | None:
    if item.marks_enc is None:
        return None
    return crypto.decrypt(item.marks_enc, _item_aad(carnet.eata_id, item.item_no, "marks"))


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


def _audit(
    session: Session,
    action: str,
    carnet: Carnet,
    actor: Actor,
    before: dict | None,
    extra: dict | None = None,
) -> None:
    data = {"carnet_number": carnet.carnet_number, "before": before, "after": snapshot(carnet)}
    if extra:
        data.update(extra)
    audit.record(
        session,
        action,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        ip=actor.ip,
        object_type="carnet",
        object_id=carnet.eata_id,
        data=data,
    )


def _new_eata_id(session: Session) -> int:
    while True:
        candidate = secrets.randbelow(EATA_ID_MAX - EATA_ID_MIN + 1) + EATA_ID_MIN
        if session.scalar(select(Carnet.id).where(Carnet.eata_id == candidate)) is None:
            return candidate


# --- issuance -------------------------------------------------------------------------------


def issue_carnet(
    session: Session,
    nga: NGA,
    data: dict,
    actor: Actor,
    *,
    today: dt.date | None = None,
    original: Carnet | None = None,
    checked: bool = False,
) -> tuple[Carnet, str]:
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
    weights = [
        Decimal(str(i["quantity"]))
        for i in items
        if i.get("unit") in ("kg", "g", "t") and i.get("quantity") is not None
    ]
    to_kg = {"kg": Decimal(1), "g": Decimal("0.001"), "t": Decimal(1000)}
    total_weight = (
        sum(
            (
                Decimal(str(i["quantity"])) * to_kg[i["unit"]]
                for i in items
                if i.get("unit") in to_kg and i.get("quantity") is not None
            ),
            Decimal("0"),
        )
        if weights
        else None
    )
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
        representatives_enc=crypto.encrypt_json(
            data.get("representatives", []), _reps_aad(eata_id)
        ),
        item_count=len(items),
        total_value=total_value.quantize(Decimal("0.01")),
        total_weight=total_weight.quantize(Decimal("0.001")) if total_weight is not None else None,
        status="issued",
        pin_hash=hash_secret(pin),
        created_by_client_pk=actor.id if actor.type == "api_client" else None,
    )
    for item in items:
        carnet.items.append(
            GoodsItem(
                item_no=item["item_no"],
                pieces=item["pieces"],
                description_enc=crypto.encrypt(
                    item["description"], _item_aad(eata_id, item["item_no"], "description")
                ),
                marks_enc=crypto.encrypt(
                    item["marks"], _item_aad(eata_id, item["item_no"], "marks")
                )
                if item.get("marks")
                else None,
                origin_country=item["origin_country"],
                value=Decimal(str(item["value"])).quantize(Decimal("0.01")),
                quantity=Decimal(str(item["quantity"])).quantize(Decimal("0.001"))
                if item.get("quantity") is not None
                else None,
                unit=item.get("unit"),
            )
        )
    for code in data["countries"]:
        carnet.countries.append(CarnetCountry(country_code=code))
    for kind in SET_KINDS:
        count = data["sets"].get(kind, 0)
        carnet.sets.append(CarnetSets(kind=kind, issued=count, remaining=count))
    if data["format"] in ("paper_clone", "twin"):
        carnet.links.append(
            CarnetLink(kind=data["format"], linked_number=data["paper_carnet_number"])
        )
    session.add(carnet)
    session.flush()
    if original is not None:
        carnet.links.append(
            CarnetLink(
                kind="replaces", linked_carnet_id=original.id, linked_number=original.carnet_number
            )
        )
        original.links.append(
            CarnetLink(
                kind="replaced_by", linked_carnet_id=carnet.id, linked_number=carnet.carnet_number
            )
        )
        session.flush()
    _audit(
        session,
        "carnet.issued",
        carnet,
        actor,
        None,
        {
            "order_type": carnet.order_type,
            "format": carnet.format,
            "original": original.eata_id if original is not None else None,
        },
    )
    return carnet, pin


# --- look-ups -------------------------------------------------------------------------------


def _loaded():
    return (
        joinedload(Carnet.nga),
        joinedload(Carnet.issuing_association),
        selectinload(Carnet.items),
        selectinload(Carnet.countries),
        selectinload(Carnet.sets),
        selectinload(Carnet.links).joinedload(CarnetLink.linked_carnet),
    )


def get_for_nga(session: Session, nga_id: int, eata_id: int, *, for_update: bool = False) -> Carnet:
    """The carnet of this NGA; another NGA's carnet is not found, exactly like a missing one."""
    stmt = select(Carnet).where(Carnet.eata_id == eata_id, Carnet.nga_id == nga_id)
    if for_update:
        stmt = stmt.with_for_update(of=Carnet)  # not the outer-joined NGA/association
    carnet = session.scalar(stmt.options(*_loaded()))
    if carnet is None:
        raise NotFound(f"No carnet with eATA ID {eata_id}.")
    return carnet


def find_by_number(session: Session, nga_id: int, carnet_number: str) -> Carnet:
    carnet = session.scalar(
        select(Carnet)
        .where(Carnet.carnet_number == carnet_number, Carnet.nga_id == nga_id)
        .options(*_loaded())
    )
    if carnet is None:
        raise NotFound(f"No carnet numbered {carnet_number}.")
    return carnet


def list_for_nga(
    session: Session,
    nga_id: int,
    *,
    page: int = 1,
    per_page: int = 50,
    status: str | None = None,
    today: dt.date | None = None,
) -> tuple[list[Carnet], int]:
    today = today or now_utc().date()
    cond = [Carnet.nga_id == nga_id]
    if status == "expired":
        cond.append(
            (Carnet.status == "expired")
            | (Carnet.status.in_(("issued", "active")) & (Carnet.valid_until < today))
        )
    elif status in ("issued", "active"):
        cond += [Carnet.status == status, Carnet.valid_until >= today]
    elif status:
        cond.append(Carnet.status == status)
    total = session.scalar(select(func.count()).select_from(Carnet).where(*cond)) or 0
    rows = session.scalars(
        select(Carnet)
        .where(*cond)
        .options(selectinload(Carnet.sets))
        .order_by(Carnet.created_at.desc(), Carnet.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def transaction_history(session: Session, carnet_id: int, page: int, per_page: int) -> Page:
    """The carnet's transactions, oldest first, cancelled ones included (the counterfoils,
    F-23); a page past the end is empty."""
    stmt = (
        select(Transaction)
        .where(Transaction.carnet_id == carnet_id)
        .options(selectinload(Transaction.items))
        .order_by(Transaction.committed_at, Transaction.id)
    )
    result = paginate(session, stmt, page, per_page)
    return result if result.page == page else Page([], result.total, page, per_page)


# --- life-cycle -----------------------------------------------------------------------------


def _refuse(carnet: Carnet, status: str, action: str) -> Conflict:
    """Why `action` is not possible on a carnet in `status`, in words (R-12)."""
    n = carnet.carnet_number
    if status == "discharged":
        msg = f"Carnet {n} has been discharged: nothing can change on it any more."
    elif status == "cancelled":
        msg = f"Carnet {n} has been cancelled: nothing can change on it any more."
    elif status == "expired" and action in ("add_sets", "block", "cancel"):
        msg = (
            f"Carnet {n} expired on {fmt_date(carnet.valid_until)}: only re-exportation and "
            f"re-importation remain possible; it can be replaced or discharged."
        )
    elif status == "blocked" and action in ("add_sets", "block", "cancel"):
        verb = {"add_sets": "adding sets", "block": "blocking it again", "cancel": "cancelling it"}
        msg = f"Carnet {n} is blocked: unblock it before {verb[action]}."
    elif status == "active" and action == "cancel":
        msg = (
            f"Carnet {n} has already been validated by customs: it can no longer be "
            f"cancelled. Discharge it once the goods are back."
        )
    elif status == "issued" and action == "discharge":
        msg = (
            f"Carnet {n} was never validated by customs: there is nothing to discharge. "
            f"Cancel it instead."
        )
    elif status == "issued" and action == "replace":
        msg = (
            f"Carnet {n} was never validated by customs: cancel it and issue a new carnet "
            f"rather than a replacement."
        )
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
    check_allowed(carnet, "add_sets", today)
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
    _audit(session, "carnet.sets_added", carnet, actor, before, {"kind": kind, "count": count})
    return carnet


def _set_status(
    session: Session, carnet: Carnet, status: str, reason: str, action: str, actor: Actor
) -> Carnet:
    before = snapshot(carnet)
    carnet.status = status
    carnet.status_reason = reason
    carnet.updated_at = now_utc()
    _audit(session, action, carnet, actor, before)
    return carnet


def cancel(
    session: Session, carnet: Carnet, reason: str, actor: Actor, *, today: dt.date | None = None
) -> Carnet:
    check_allowed(carnet, "cancel", today or now_utc().date())
    for s in carnet.sets:
        s.remaining = 0
    return _set_status(session, carnet, "cancelled", reason, "carnet.cancelled", actor)


def block(
    session: Session, carnet: Carnet, reason: str, actor: Actor, *, today: dt.date | None = None
) -> Carnet:
    check_allowed(carnet, "block", today or now_utc().date())
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
    check_allowed(carnet, "discharge", today or now_utc().date())
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
    check_allowed(original, "replace", today)
    replaced = next((link for link in original.links if link.kind == "replaced_by"), None)
    if replaced is not None:
        raise Conflict(
            f"Carnet {original.carnet_number} has already been replaced by carnet "
            f"{replaced.linked_number}.",
            code="carnet_replaced",
        )
    before = snapshot(original)
    carnet, pin = issue_carnet(
        session, nga, data, actor, today=today, original=original, checked=checked
    )
    _audit(
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


# --- where and when a carnet can be used — for the transaction engine ---------

TRANSACTION_KINDS = (
    "validation",
    "exportation",
    "importation",
    "re_exportation",
    "re_importation",
    "transit_open",
    "transit_close",
)
HOME_KINDS = ("validation", "exportation", "re_importation")  # in the departure territory
KIND_LABELS = {
    k: k.replace("_", "-") if k.startswith("re_") else k.replace("_", " ")
    for k in TRANSACTION_KINDS
}


def check_usable(
    session: Session, carnet: Carnet, country_code: str, kind: str, today: dt.date
) -> None:
    """Refuse (Conflict, in words) a transaction of `kind` in `country_code` that R-02 forbids:
    the carnet is cancelled, blocked or discharged; it expired and the kind is not a
    re-exportation or re-importation (R-07); or the country is outside Box P (home kinds:
    outside the departure country). Countries compare by customs territory (the EU is one)."""
    n = carnet.carnet_number
    status = carnet.effective_status(today)
    if status in ("cancelled", "blocked", "discharged"):
        raise Conflict(
            f"Carnet {n} is {status}: no transaction is possible.", code=f"carnet_{status}"
        )
    if status == "expired" and kind not in ("re_exportation", "re_importation"):
        raise Conflict(
            f"This carnet expired on {fmt_date(carnet.valid_until)}: only "
            f"re-exportation and re-importation are possible.",
            code="carnet_expired",
        )
    codes = {country_code, carnet.departure_country, *(c.country_code for c in carnet.countries)}
    territory = dict(
        session.execute(
            select(Country.code, Country.territory_id).where(Country.code.in_(codes))
        ).all()
    )
    here = territory.get(country_code)
    if kind in HOME_KINDS:
        if here is None or here != territory.get(carnet.departure_country):
            raise Conflict(
                f"A {KIND_LABELS[kind]} of carnet {n} takes place in its departure "
                f"country ({carnet.departure_country}), not in {country_code}.",
                code="not_departure_country",
            )
    elif here is None or here not in {territory.get(c.country_code) for c in carnet.countries}:
        listed = ", ".join(sorted(c.country_code for c in carnet.countries))
        raise Conflict(
            f"Carnet {n} is not valid in {country_code}: its Box P lists {listed}.",
            code="not_in_box_p",
        )


# --- audit trail ----------------------------------------------------------------------------


def audit_trail(session: Session, eata_id: int) -> list[AuditEvent]:
    """Every recorded change of a carnet, oldest first (F-25)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "carnet", AuditEvent.object_id == str(eata_id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


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
    return [
        (k, old.get(k), new.get(k)) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)
    ]


ACTOR_LABELS = {
    "api_client": "API client",
    "account": "customs account",
    "holder": "holder",
    "operator": "operator",
    "system": "system",
}


def audit_lines(session: Session, eata_id: int) -> list[dict]:
    """The audit trail made readable: when, what, who (and from where), what changed."""
    lines = []
    for event in audit_trail(session, eata_id):
        data = event.data or {}
        changes = describe_changes(data.get("before"), data.get("after"))
        lines.append(
            {
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
                    for k, a, b in changes
                )
                if data.get("before") is not None
                else "created",
                "extra": {k: v for k, v in data.items() if k not in ("before", "after")},
            }
        )
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
            select(Carnet)
            .where(Carnet.id > last_id)
            .order_by(Carnet.id)
            .limit(batch)
            .options(selectinload(Carnet.items))
        ).all()
        if not carnets:
            break
        for carnet in carnets:
            last_id = carnet.id
            e = carnet.eata_id
            if ring.key_id_of(carnet.holder_enc) != primary:
                carnet.holder_enc = crypto.encrypt(
                    crypto.decrypt(carnet.holder_enc, _holder_aad(e)), _holder_aad(e)
                )
                carnet.representatives_enc = crypto.encrypt(
                    crypto.decrypt(carnet.representatives_enc, _reps_aad(e)), _reps_aad(e)
                )
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
