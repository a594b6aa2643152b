"""Prepared travels (F-31, F-32, F-33, R-09): the holder's declaration and the vouchers it implies.

Which vouchers a travel implies, by where it goes relative to the carnet's departure (home)
customs territory:

    home → abroad     [validation if the carnet is not active yet], exportation, importation
    abroad → home     re-exportation, re-importation
    abroad → abroad   re-exportation, importation (from the same territory to itself: the
                      extension of stay of R-08 — re-export, then import with a new final date)

plus transit open + transit close for every transit country, between the two.

Sets (R-09): one set of a kind is one pair of vouchers of the paper carnet. An exportation
opens an export/re-import set, an importation opens an import/re-export set and a transit
country takes a transit set; re-exportation and re-importation use the second half of a set
already opened, so a return travel — or the split re-exportations of R-06 — consumes none.
Saving a travel consumes its sets; deleting an untransacted travel gives back exactly what it
consumed (`Travel.sets_consumed`).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError, NotFound, PermissionDenied, audit
from portal.domain.carnets import SET_LABELS, fmt_date
from portal.domain.rules import EXPIRED_KINDS, country_name, territory_of
from portal.domain.vouchers import new_voucher
from portal.models import (
    Carnet,
    CarnetSets,
    Country,
    GoodsItem,
    Holder,
    Signature,
    Travel,
    TravelItem,
    Voucher,
    WalletCarnet,
)

TRANSPORT_MODES = ("air", "sea", "land")
SET_OF_KIND = {"export": "export_reimport", "import": "import_reexport", "transit_open": "transit"}


@dataclass
class TravelInput:
    departure_country: str
    destination_country: str
    transport_mode: str
    items: dict[int, int]  # item_no → quantity
    signed_name: str
    transit_countries: list[str] = field(default_factory=list)
    nickname: str = ""
    location: str = ""
    extra_details: str = ""
    packaging_details: str = ""


def _norm_name(name: str) -> str:
    flat = unicodedata.normalize("NFKC", name or "").casefold()
    return " ".join(flat.split())


def _check_signature(holder: Holder, signed_name: str) -> None:
    if not _norm_name(signed_name):
        raise DomainError("Sign the declaration with your legal name.", field="signed_name")
    if _norm_name(signed_name) != _norm_name(holder.legal_name):
        raise DomainError(
            f"Sign with your legal name as registered: {holder.legal_name}.", field="signed_name"
        )


def wallet_entry(session: Session, holder: Holder, carnet: Carnet) -> WalletCarnet:
    entry = session.scalar(
        select(WalletCarnet).where(
            WalletCarnet.holder_id == holder.id, WalletCarnet.carnet_id == carnet.id
        )
    )
    if entry is None:
        raise NotFound("This carnet is not in your wallet.")
    return entry


def add_to_wallet(session: Session, holder: Holder, carnet: Carnet) -> WalletCarnet:
    """Record that a holder downloaded a carnet (the wallet issue checks the PIN first)."""
    entry = session.scalar(
        select(WalletCarnet).where(
            WalletCarnet.holder_id == holder.id, WalletCarnet.carnet_id == carnet.id
        )
    )
    if entry is None:
        entry = WalletCarnet(holder_id=holder.id, carnet_id=carnet.id)
        session.add(entry)
        session.flush()
    return entry


def accept_general_list(
    session: Session,
    holder: Holder,
    carnet: Carnet,
    signed_name: str,
    *,
    now: dt.datetime | None = None,
) -> Signature:
    """First use (F-31): the holder accepts the general list and liability under their legal
    name; customs see who signed and when."""
    entry = wallet_entry(session, holder, carnet)
    _check_signature(holder, signed_name)
    now = now or now_utc()
    sig = Signature(
        carnet_id=carnet.id,
        holder_id=holder.id,
        kind="general_list",
        signed_name=signed_name.strip(),
        signed_at=now,
    )
    session.add(sig)
    entry.accepted_at = entry.accepted_at or now
    audit.record(
        session,
        "carnet.general_list_signed",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={"signed_name": sig.signed_name},
    )
    session.flush()
    return sig


# --- planning ---------------------------------------------------------------------------------


def _country(session: Session, code: str, field_name: str) -> Country:
    country = session.get(Country, (code or "").upper())
    if country is None:
        raise DomainError(f"{code!r} is not a country.", field=field_name)
    return country


def plan(
    session: Session,
    carnet: Carnet,
    departure: str,
    destination: str,
    transits: list[str],
    *,
    needs_validation: bool,
) -> list[tuple[str, str]]:
    """[(voucher kind, country)] in the order the holder meets them."""
    home = territory_of(session, carnet.departure_country)
    dep = _country(session, departure, "departure_country")
    dest = _country(session, destination, "destination_country")
    box_p = {c.country_code for c in carnet.countries}
    box_p_territories = (
        set(session.scalars(select(Country.territory_id).where(Country.code.in_(box_p))))
        if box_p
        else set()
    )

    def abroad_ok(country: Country, field_name: str) -> None:
        if country.territory_id not in box_p_territories:
            raise DomainError(
                f"This carnet is not valid in {country.name}: it is not listed in Box P.",
                field=field_name,
            )

    if dep.territory_id == home and dest.territory_id == home:
        raise DomainError(
            f"{dep.name} and {dest.name} are in the carnet's home customs "
            f"territory: no customs transaction is needed.",
            field="destination_country",
        )
    out: list[tuple[str, str]] = []
    if dep.territory_id == home:
        abroad_ok(dest, "destination_country")
        if needs_validation:
            out.append(("validation", dep.code))
        out.append(("export", dep.code))
    else:
        abroad_ok(dep, "departure_country")
        out.append(("reexport", dep.code))
    seen = set()
    for code in transits:
        country = _country(session, code, "transit_countries")
        if country.code in seen:
            raise DomainError(f"{country.name} is listed twice.", field="transit_countries")
        seen.add(country.code)
        if country.territory_id in (home, dep.territory_id, dest.territory_id):
            raise DomainError(
                f"{country.name} is not a transit country on this travel: it is "
                f"in the departure or destination customs territory.",
                field="transit_countries",
            )
        abroad_ok(country, "transit_countries")
        out += [("transit_open", country.code), ("transit_close", country.code)]
    if dest.territory_id == home:
        out.append(("reimport", dest.code))
    else:
        out.append(("import", dest.code))
    return out


def sets_needed(kinds: list[str]) -> dict[str, int]:
    need: dict[str, int] = {}
    for kind in kinds:
        if kind in SET_OF_KIND:
            need[SET_OF_KIND[kind]] = need.get(SET_OF_KIND[kind], 0) + 1
    return need


def _consume(session: Session, carnet: Carnet, need: dict[str, int]) -> None:
    """Take the sets with a conditional UPDATE, so two devices saving at once cannot both take
    the last one (R-09)."""
    for kind, count in need.items():
        done = session.execute(
            update(CarnetSets)
            .where(
                CarnetSets.carnet_id == carnet.id,
                CarnetSets.kind == kind,
                CarnetSets.remaining >= count,
            )
            .values(remaining=CarnetSets.remaining - count)
            .execution_options(synchronize_session=False)
        ).rowcount
        if done != 1:
            left = (
                session.scalar(
                    select(CarnetSets.remaining).where(
                        CarnetSets.carnet_id == carnet.id, CarnetSets.kind == kind
                    )
                )
                or 0
            )
            raise Conflict(
                f"This carnet has {'no' if left == 0 else f'only {left}'} {SET_LABELS[kind]} "
                f"set{'s' if left != 1 else ''} left, and this travel needs {count}: ask your "
                f"issuing association for additional sets.",
                code="no_sets_left",
            )
    _refresh_sets(session, carnet)


def _give_back(session: Session, carnet: Carnet, consumed: dict[str, int]) -> None:
    for kind, count in (consumed or {}).items():
        session.execute(
            update(CarnetSets)
            .where(CarnetSets.carnet_id == carnet.id, CarnetSets.kind == kind)
            .values(remaining=CarnetSets.remaining + count)
            .execution_options(synchronize_session=False)
        )
    _refresh_sets(session, carnet)


def _refresh_sets(session: Session, carnet: Carnet) -> None:
    for s in carnet.sets:
        session.refresh(s)


def _items(session: Session, carnet: Carnet, wanted: dict[int, int]) -> list[tuple[GoodsItem, int]]:
    by_no = {i.item_no: i for i in carnet.items}
    lines = []
    for no, qty in sorted((wanted or {}).items()):
        item = by_no.get(int(no))
        if item is None:
            raise DomainError(f"Item {no} is not on the general list.", field="items")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0:
            raise DomainError(f"Item {no}: give a whole number of pieces.", field="items")
        if qty > item.pieces:
            raise DomainError(
                f"Item {no}: the general list has {item.pieces} piece(s); you declared {qty}.",
                field="items",
            )
        if qty:
            lines.append((item, qty))
    if not lines:
        raise DomainError("Declare at least one item of the general list.", field="items")
    return lines


def _check_carnet_usable(carnet: Carnet, kinds: list[str], today: dt.date) -> None:
    n = carnet.carnet_number
    if carnet.status in ("cancelled", "blocked", "discharged"):
        what = {
            "cancelled": "has been cancelled",
            "blocked": "is blocked",
            "discharged": "has been discharged",
        }[carnet.status]
        raise Conflict(
            f"Carnet {n} {what}: it cannot be used for a new travel.",
            code=f"carnet_{carnet.status}",
        )
    if carnet.effective_status(today) == "expired" and any(k not in EXPIRED_KINDS for k in kinds):
        raise Conflict(
            f"This carnet expired on {fmt_date(carnet.valid_until)}: only "
            f"re-exportation and re-importation are possible.",
            code="carnet_expired",
        )


def _needs_validation(session: Session, carnet: Carnet, except_travel: int | None = None) -> bool:
    if carnet.activated_at is not None:
        return False
    cond = [Voucher.carnet_id == carnet.id, Voucher.kind == "validation", Voucher.state != "void"]
    if except_travel is not None:
        cond.append(Voucher.travel_id != except_travel)
    return session.scalar(select(Voucher.id).where(*cond).limit(1)) is None


def _lock_carnet(session: Session, carnet: Carnet) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Carnet.id).where(Carnet.id == carnet.id).with_for_update())


def _fill(
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


def _validate(session: Session, holder: Holder, carnet: Carnet, data: TravelInput) -> None:
    entry = wallet_entry(session, holder, carnet)
    if entry.accepted_at is None:
        raise DomainError(
            "Accept (sign) the carnet's general list before your first travel.",
            code="general_list_not_accepted",
        )
    if data.transport_mode not in TRANSPORT_MODES:
        raise DomainError("Choose the mode of transport: air, sea or land.", field="transport_mode")
    _check_signature(holder, data.signed_name)


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
    _validate(session, holder, carnet, data)
    _lock_carnet(session, carnet)
    kinds_countries = plan(
        session,
        carnet,
        data.departure_country,
        data.destination_country,
        data.transit_countries,
        needs_validation=_needs_validation(session, carnet),
    )
    kinds = [k for k, _ in kinds_countries]
    _check_carnet_usable(carnet, kinds, now.date())
    lines = _items(session, carnet, data.items)
    need = sets_needed(kinds)
    _consume(session, carnet, need)
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
    _fill(session, travel, data, carnet, lines, holder, now)
    _make_vouchers(session, travel, carnet, kinds_countries)
    audit.record(
        session,
        "travel.prepared",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={"travel_id": travel.id, "vouchers": kinds, "sets": need},
    )
    session.flush()
    return travel


def _make_vouchers(
    session: Session, travel: Travel, carnet: Carnet, kinds_countries: list[tuple[str, str]]
) -> None:
    for position, (kind, country) in enumerate(kinds_countries, start=1):
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
        raise NotFound("No such travel.")
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
            f"This travel cannot be {action}: customs already committed one of its vouchers.",
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
    carnet = session.get(Carnet, travel.carnet_id)
    _validate(session, holder, carnet, data)
    _lock_carnet(session, carnet)
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
        or _needs_validation(session, carnet, except_travel=travel.id),
    )
    kinds = [k for k, _ in kinds_countries]
    _check_carnet_usable(carnet, kinds, now.date())
    lines = _items(session, carnet, data.items)
    need = sets_needed(kinds)
    if need != travel.sets_consumed:
        _give_back(session, carnet, travel.sets_consumed)
        _consume(session, carnet, need)
        travel.sets_consumed = need
    _fill(session, travel, data, carnet, lines, holder, now)
    if kinds_countries != current:
        for v in travel.vouchers:
            v.state = "void"
        session.flush()
        start = max((v.position for v in travel.vouchers), default=0)
        for position, (kind, country) in enumerate(kinds_countries, start=start + 1):
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
    audit.record(
        session,
        "travel.changed",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
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
    carnet = session.get(Carnet, travel.carnet_id)
    _lock_carnet(session, carnet)
    session.refresh(travel)
    for v in travel.vouchers:
        session.refresh(v)
    _check_editable(travel, "deleted")
    _give_back(session, carnet, travel.sets_consumed)
    for v in travel.vouchers:
        v.state = "void"
    travel.deleted_at = now or now_utc()
    audit.record(
        session,
        "travel.deleted",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={"travel_id": travel.id, "sets_returned": travel.sets_consumed},
    )
    session.flush()


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
