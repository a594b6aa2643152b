"""A holder's travels: read, edit and delete until a voucher is transacted (F-32, F-33)."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, NotFound, PermissionDenied, audit
from portal.domain.rules import country_name
from portal.domain.travels.entry import wallet_entry
from portal.domain.travels.input import TravelInput
from portal.domain.travels.prepare import (
    check_carnet_usable,
    chosen_items,
    fill_travel,
    lock_carnet,
    make_vouchers,
    needs_validation,
    validate_travel,
)
from portal.domain.travels.sets import consume_sets, give_back_sets, plan, sets_needed
from portal.models import (
    Carnet,
    Holder,
    Predeclaration,
    Travel,
    Voucher,
    WalletCarnet,
)


def get_travel(session: Session, holder: Holder, travel_id: int) -> Travel:
    """A travel of a carnet in the holder's wallet (any device of anyone who downloaded it sees
    the same travels, F-38); another's is not found."""
    travel = session.get(Travel, travel_id)
    if (
        travel is None
        or travel.deleted_at is not None
        or session.scalar(
            select(WalletCarnet.id).where(
                WalletCarnet.holder_id == holder.id, WalletCarnet.carnet_id == travel.carnet_id
            )
        )
        is None
    ):
        raise NotFound(_("No such travel."))
    return travel


def travels_of(session: Session, holder: Holder, carnet: Carnet) -> list[Travel]:
    wallet_entry(session, holder, carnet)
    return list(
        session.scalars(
            select(Travel)
            .where(Travel.carnet_id == carnet.id, Travel.deleted_at.is_(None))
            .order_by(Travel.created_at)
        )
    )


def is_transacted(travel: Travel) -> bool:
    return any(v.state in ("used", "pre_exported") for v in travel.vouchers)


def _check_editable(travel: Travel, action: str) -> None:
    if is_transacted(travel):
        raise Conflict(
            _("This travel cannot be changed: customs already committed one of its vouchers.")
            if action == "changed"
            else _("This travel cannot be deleted: customs already committed one of its vouchers."),
            code="travel_transacted",
        )


def edit_travel(
    session: Session,
    holder: Holder,
    travel_id: int,
    data: TravelInput,
    *,
    now: dt.datetime | None = None,
) -> Travel:
    """Change a travel until one of its vouchers is transacted. The vouchers keep their codes
    when the route is unchanged; otherwise they are replaced (the old codes stop working)."""
    now = now or now_utc()
    travel = get_travel(session, holder, travel_id)
    carnet = session.get_one(Carnet, travel.carnet_id)
    validate_travel(session, holder, carnet, data)
    lock_carnet(session, carnet)
    session.refresh(travel)
    for v in travel.vouchers:
        session.refresh(v)
    _check_editable(travel, "changed")
    current = [(v.kind, v.country_code) for v in travel.vouchers if v.state != "void"]
    has_validation = any(k == "validation" for k, _ in current)
    kinds_countries = plan(
        session,
        carnet,
        data.departure_country,
        data.destination_country,
        data.transit_countries,
        needs_validation=has_validation
        or needs_validation(session, carnet, except_travel=travel.id),
        day=now.date(),
    )
    kinds = [k for k, _ in kinds_countries]
    check_carnet_usable(carnet, kinds, now.date())
    lines = chosen_items(session, carnet, data.items)
    need = sets_needed(kinds)
    if need != travel.sets_consumed:
        give_back_sets(session, carnet, travel.sets_consumed)
        consume_sets(session, carnet, need)
        travel.sets_consumed = need
    fill_travel(session, travel, data, carnet, lines, holder, now)
    if kinds_countries != current:
        for v in travel.vouchers:
            v.state = "void"
        _withdraw_predeclarations(session, travel, holder, now)
        session.flush()
        after = max((v.position for v in travel.vouchers), default=0)
        make_vouchers(session, travel, carnet, kinds_countries, after=after)
    audit.by_holder(
        session,
        "travel.changed",
        holder,
        nga_id=carnet.nga_id,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={"travel_id": travel.id, "vouchers": kinds, "sets": need},
    )
    session.flush()
    return travel


def delete_travel(
    session: Session, holder: Holder, travel_id: int, *, now: dt.datetime | None = None
) -> None:
    """Delete an untransacted travel: its sets come back (R-09) and its codes stop working. The
    row stays (soft delete) because a rejection may refer to its vouchers."""
    travel = get_travel(session, holder, travel_id)
    carnet = session.get_one(Carnet, travel.carnet_id)
    lock_carnet(session, carnet)
    session.refresh(travel)
    for v in travel.vouchers:
        session.refresh(v)
    _check_editable(travel, "deleted")
    give_back_sets(session, carnet, travel.sets_consumed)
    for v in travel.vouchers:
        v.state = "void"
    travel.deleted_at = now or now_utc()
    _withdraw_predeclarations(session, travel, holder, travel.deleted_at)
    audit.by_holder(
        session,
        "travel.deleted",
        holder,
        nga_id=carnet.nga_id,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={"travel_id": travel.id, "sets_returned": travel.sets_consumed},
    )
    session.flush()


def _withdraw_predeclarations(
    session: Session, travel: Travel, holder: Holder, now: dt.datetime
) -> None:
    """The open pre-declarations of vouchers that stop working are withdrawn with them."""
    session.execute(
        update(Predeclaration)
        .where(
            Predeclaration.travel_id == travel.id,
            Predeclaration.state.in_(("pending", "acknowledged")),
        )
        .values(
            state="withdrawn",
            acted_at=now,
            acted_by=holder.legal_name,
            version=Predeclaration.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


def active_vouchers(travel: Travel) -> list[Voucher]:
    return [v for v in travel.vouchers if v.state != "void"]


def check_holder(holder: Holder | None) -> Holder:
    if holder is None or not holder.active:
        raise PermissionDenied("Sign in to your wallet first.")
    return holder


def destination_label(session: Session, travel: Travel) -> str:
    return (
        f"{country_name(session, travel.departure_country)} → "
        f"{country_name(session, travel.destination_country)}"
    )
