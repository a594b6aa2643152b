"""Saving a prepared travel (F-32): checks, goods, the vouchers it implies."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError, audit
from portal.domain.carnets import fmt_date
from portal.domain.rules import EXPIRED_KINDS, territory_of
from portal.domain.travels.entry import check_signature, wallet_entry
from portal.domain.travels.input import TRANSPORT_MODES, TravelInput
from portal.domain.travels.sets import consume_sets, plan, sets_needed
from portal.domain.vouchers import new_voucher
from portal.models import (
    Carnet,
    GoodsItem,
    Holder,
    Signature,
    Travel,
    TravelItem,
    Voucher,
)


def chosen_items(
    session: Session, carnet: Carnet, wanted: dict[int, int]
) -> list[tuple[GoodsItem, int]]:
    by_no = {i.item_no: i for i in carnet.items}
    lines = []
    for no, qty in sorted((wanted or {}).items()):
        item = by_no.get(int(no))
        if item is None:
            raise DomainError(
                _("Item %(item)s is not on the general list.", item=no), field="items"
            )
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0:
            raise DomainError(
                _("Item %(item)s: give a whole number of pieces.", item=no), field="items"
            )
        if qty > item.pieces:
            raise DomainError(
                _(
                    "Item %(item)s: the general list has %(pieces)s piece(s); you declared "
                    "%(declared)s.",
                    item=no,
                    pieces=item.pieces,
                    declared=qty,
                ),
                field="items",
            )
        if qty:
            lines.append((item, qty))
    if not lines:
        raise DomainError(_("Declare at least one item of the general list."), field="items")
    return lines


def check_carnet_usable(carnet: Carnet, kinds: list[str], today: dt.date) -> None:
    n = carnet.carnet_number
    if carnet.status in ("cancelled", "blocked", "discharged"):
        message = {
            "cancelled": _l(
                "Carnet %(number)s has been cancelled: it cannot be used for a new travel."
            ),
            "blocked": _l("Carnet %(number)s is blocked: it cannot be used for a new travel."),
            "discharged": _l(
                "Carnet %(number)s has been discharged: it cannot be used for a new travel."
            ),
        }[carnet.status]
        raise Conflict(
            str(message) % {"number": n},
            code=f"carnet_{carnet.status}",
        )
    if carnet.effective_status(today) == "expired" and any(k not in EXPIRED_KINDS for k in kinds):
        raise Conflict(
            _(
                "This carnet expired on %(day)s: only re-exportation and re-importation are "
                "possible.",
                day=fmt_date(carnet.valid_until),
            ),
            code="carnet_expired",
        )


def needs_validation(session: Session, carnet: Carnet, except_travel: int | None = None) -> bool:
    if carnet.activated_at is not None:
        return False
    cond = [Voucher.carnet_id == carnet.id, Voucher.kind == "validation", Voucher.state != "void"]
    if except_travel is not None:
        cond.append(Voucher.travel_id != except_travel)
    return session.scalar(select(Voucher.id).where(*cond).limit(1)) is None


def lock_carnet(session: Session, carnet: Carnet) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Carnet.id).where(Carnet.id == carnet.id).with_for_update())


def fill_travel(
    session: Session,
    travel: Travel,
    data: TravelInput,
    carnet: Carnet,
    lines: list[tuple[GoodsItem, int]],
    holder: Holder,
    now: dt.datetime,
) -> None:
    travel.nickname = (data.nickname or "").strip()[:120]
    travel.departure_country = data.departure_country.upper()
    travel.destination_country = data.destination_country.upper()
    travel.transit_countries = [c.upper() for c in data.transit_countries]
    travel.location = (data.location or "").strip()[:200]
    travel.extra_details = (data.extra_details or "").strip()[:500]
    travel.packaging_details = (data.packaging_details or "").strip()[:500]
    travel.updated_at = now
    travel.items.clear()
    session.flush()
    for item, qty in lines:
        travel.items.append(TravelItem(goods_item_id=item.id, item_no=item.item_no, quantity=qty))
    session.add(
        Signature(
            carnet_id=carnet.id,
            holder_id=holder.id,
            travel_id=travel.id,
            kind="declaration",
            signed_name=data.signed_name.strip(),
            signed_at=now,
        )
    )


def validate_travel(session: Session, holder: Holder, carnet: Carnet, data: TravelInput) -> None:
    entry = wallet_entry(session, holder, carnet)
    if entry.accepted_at is None:
        raise DomainError(
            _("Accept (sign) the carnet's general list before your first travel."),
            code="general_list_not_accepted",
        )
    if data.transport_mode not in TRANSPORT_MODES:
        raise DomainError(
            _("Choose the mode of transport: air, sea or land."), field="transport_mode"
        )
    check_signature(holder, data.signed_name)


def prepare_travel(
    session: Session,
    holder: Holder,
    carnet: Carnet,
    data: TravelInput,
    *,
    now: dt.datetime | None = None,
) -> Travel:
    """Save a new travel: its items, its vouchers (each with a transaction code) and the sets
    it consumes. The caller commits."""
    now = now or now_utc()
    validate_travel(session, holder, carnet, data)
    lock_carnet(session, carnet)
    kinds_countries = plan(
        session,
        carnet,
        data.departure_country,
        data.destination_country,
        data.transit_countries,
        needs_validation=needs_validation(session, carnet),
        day=now.date(),
    )
    kinds = [k for k, _ in kinds_countries]
    check_carnet_usable(carnet, kinds, now.date())
    lines = chosen_items(session, carnet, data.items)
    need = sets_needed(kinds)
    consume_sets(session, carnet, need)
    travel = Travel(
        carnet_id=carnet.id,
        holder_id=holder.id,
        transport_mode=data.transport_mode,
        departure_country=data.departure_country.upper(),
        destination_country=data.destination_country.upper(),
        sets_consumed=need,
    )
    session.add(travel)
    session.flush()
    fill_travel(session, travel, data, carnet, lines, holder, now)
    make_vouchers(session, travel, carnet, kinds_countries)
    audit.by_holder(
        session,
        "travel.prepared",
        holder,
        nga_id=carnet.nga_id,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={"travel_id": travel.id, "vouchers": kinds, "sets": need},
    )
    session.flush()
    return travel


def make_vouchers(
    session: Session,
    travel: Travel,
    carnet: Carnet,
    kinds_countries: list[tuple[str, str]],
    *,
    after: int = 0,
) -> None:
    """A voucher (with its transaction code) per (kind, country) of the route, numbered on
    from position `after` (a changed route: after the voided ones)."""
    for position, (kind, country) in enumerate(kinds_countries, start=after + 1):
        new_voucher(
            session,
            travel_id=travel.id,
            carnet_id=carnet.id,
            position=position,
            kind=kind,
            country_code=country,
            territory_id=territory_of(session, country),
        )
    session.refresh(travel)
