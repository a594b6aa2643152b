"""The rules a commit is checked against (R-01 … R-08), each a function that raises DomainError
with a sentence the officer can repeat to the holder (R-12) and changes nothing.

They read the state they are given; the engine (portal/domain/transactions/) calls them with the carnet
and voucher rows locked, so what they checked is still true when the transaction is stored.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain import Conflict, DomainError
from portal.domain.carnets import fmt_date
from portal.domain.refdata_cache import expires_at, fresh, invalidated_by_refdata
from portal.models import (
    Carnet,
    CarnetCountry,
    Country,
    GoodsItem,
    Hold,
    Transaction,
    TransactionItem,
)

KIND_LABELS = {
    "validation": _l("validation"),
    "export": _l("exportation"),
    "pre_export": _l("pre-exportation"),
    "import": _l("importation"),
    "reexport": _l("re-exportation"),
    "reimport": _l("re-importation"),
    "transit_open": _l("transit open"),
    "transit_close": _l("transit close"),
}
# made in the carnet's departure country; the rest in a Box P country
HOME_KINDS = ("validation", "export", "pre_export", "reimport")
# the only kinds an expired carnet still allows
EXPIRED_KINDS = ("reexport", "reimport")
STAY_MONTHS_CAP = 24


def label(kind: str) -> str:
    """The kind's name in the reader's language ("exportation", "exportation", "exportación")."""
    return str(KIND_LABELS[kind])


@dataclass(frozen=True)
class Place:
    """Where a customs action happens: the officer's office, its administration and territory."""

    customs_id: int
    office_id: int
    office_name: str
    territory_id: int
    territory_code: str
    country_code: str
    country_name: str
    account_id: int | None
    officer_name: str
    timezone: str = "UTC"  # the office's (or its administration's) IANA time zone

    def local_date(self, now_utc: dt.datetime) -> dt.date:
        """The office's calendar day at `now_utc` (naive UTC): a commit at 23:59:59 office
        time belongs to that day, one at 00:00:01 to the next, whatever the UTC date."""
        try:
            zone = zoneinfo.ZoneInfo(self.timezone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return now_utc.date()
        return now_utc.replace(tzinfo=dt.UTC).astimezone(zone).date()

    @property
    def is_eu(self) -> bool:
        return self.territory_code == "EU"


# country code → (expiry, territory id): reference data, per process
# (portal/domain/refdata_cache.py: REFDATA_TTL at most, dropped at once on a change here)
_TERRITORIES: dict[str, tuple[float, int | None]] = {}


@invalidated_by_refdata("engine_territories")
def forget_territories() -> None:
    _TERRITORIES.clear()


def territory_of(session: Session, country_code: str) -> int | None:
    """A country's customs territory (reference data: cached per process)."""
    hit = _TERRITORIES.get(country_code)
    if hit is not None and fresh(hit[0]):
        return hit[1]
    territory_id = session.scalar(select(Country.territory_id).where(Country.code == country_code))
    _TERRITORIES[country_code] = (expires_at(), territory_id)
    return territory_id


def box_p_territories(session: Session, carnet_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Country.territory_id)
            .join(CarnetCountry, CarnetCountry.country_code == Country.code)
            .where(CarnetCountry.carnet_id == carnet_id)
        )
    )


def country_name(session: Session, code: str) -> str:
    return session.scalar(select(Country.name).where(Country.code == code)) or code


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise ValueError(day)


# --- the carnet's status and validity ------------------------------------------


def check_status(carnet: Carnet, kind: str, today: dt.date) -> None:
    n = carnet.carnet_number
    if carnet.status == "cancelled":
        raise Conflict(
            f"Carnet {n} has been cancelled by its issuing association: no "
            f"transaction is possible.",
            code="carnet_cancelled",
        )
    if carnet.status == "blocked":
        raise Conflict(
            f"Carnet {n} is blocked by its issuing association: no transaction is "
            f"possible until it is unblocked.",
            code="carnet_blocked",
        )
    if carnet.status == "discharged":
        raise Conflict(
            f"Carnet {n} has been discharged: no transaction is possible.", code="carnet_discharged"
        )
    if carnet.effective_status(today) == "expired" and kind not in EXPIRED_KINDS:
        raise Conflict(
            f"This carnet expired on {fmt_date(carnet.valid_until)}: only "
            f"re-exportation and re-importation are possible.",
            code="carnet_expired",
        )


# --- validation (activation) happens once, before anything else -------------------------


def check_activation(carnet: Carnet, kind: str, *, automatic: bool = False) -> None:
    """`automatic`: this commit validates the carnet automatically (F-73, use case 2:
    portal/domain/transition.py `validated_automatically`)."""
    activated_at = carnet.activated_at
    if automatic:
        return
    if kind == "validation" and activated_at is not None:
        raise Conflict(
            f"This carnet was already validated on {fmt_date(activated_at)}: "
            f"validation happens only once.",
            code="already_validated",
        )
    if kind != "validation" and activated_at is None:
        raise Conflict(
            f"This carnet has not been validated yet: its validation must be "
            f"committed in its departure country before the {label(kind)}.",
            code="not_validated",
        )


# --- the place --------------------------------------------------------------------------


def check_place(
    session: Session,
    carnet: Carnet,
    kind: str,
    voucher_country: str,
    place: Place,
    in_box_p: bool | None = None,
) -> None:
    """`in_box_p`: whether the place's territory is in the carnet's Box P, when the caller
    already read it (the engine folds it into its locking query); read here otherwise."""
    if kind in HOME_KINDS and territory_of(session, carnet.departure_country) != place.territory_id:
        raise DomainError(
            f"The {label(kind)} of this carnet is made in its departure country, "
            f"{country_name(session, carnet.departure_country)}, not in "
            f"{place.country_name}.",
            code="not_departure_country",
        )
    if territory_of(session, voucher_country) != place.territory_id:
        raise DomainError(
            f"This voucher is for the {label(kind)} in {country_name(session, voucher_country)}: "
            f"it cannot be committed in {place.country_name}.",
            code="wrong_place",
        )
    if kind in HOME_KINDS:
        return
    if in_box_p is None:
        in_box_p = place.territory_id in box_p_territories(session, carnet.id)
    if not in_box_p:
        raise DomainError(
            f"This carnet is not valid in {place.country_name}: it is not listed in Box P.",
            code="not_in_box_p",
        )


# --- holds ------------------------------------------------------------------------------


def active_hold(session: Session, carnet_id: int, territory_id: int) -> Hold | None:
    return session.scalar(
        select(Hold)
        .where(
            Hold.carnet_id == carnet_id,
            Hold.territory_id == territory_id,
            Hold.released_at.is_(None),
        )
        .order_by(Hold.held_at)
        .limit(1)
    )


def check_holds(session: Session, carnet: Carnet, place: Place) -> None:
    check_hold(active_hold(session, carnet.id, place.territory_id))


def check_hold(hold: Hold | None) -> None:
    """R-03: refuse while `hold` — the carnet's active hold in this territory — exists."""
    if hold is not None:
        raise Conflict(
            f"This carnet is on hold in this customs territory since "
            f"{hold.held_at.strftime('%d/%m/%Y %H:%M')} ({hold.office_name}, by {hold.held_by}): "
            f"{hold.reason}. An officer of {hold.office_name} must release it first.",
            code="on_hold",
        )


# --- quantities per item per territory -------------------------------------------------


def balances(
    session: Session, carnet_id: int, *, exclude_transaction: int | None = None
) -> dict[tuple[str, int, int], int]:
    """Committed quantities: {(kind, territory_id, goods_item_id): quantity}."""
    cond = [
        Transaction.carnet_id == carnet_id,
        Transaction.state == "committed",
        TransactionItem.line == "cleared",
    ]
    if exclude_transaction is not None:
        cond.append(Transaction.id != exclude_transaction)
    rows = session.execute(
        select(
            Transaction.kind,
            Transaction.territory_id,
            TransactionItem.goods_item_id,
            func.sum(TransactionItem.quantity),
        )
        .join(TransactionItem, TransactionItem.transaction_id == Transaction.id)
        .where(*cond)
        .group_by(Transaction.kind, Transaction.territory_id, TransactionItem.goods_item_id)
    ).all()
    return {(k, t, g): int(q) for k, t, g, q in rows}


# (kind that adds, kind that removes): the pairs whose running balance must stay within
# 0 … pieces in one territory
PAIRS = (("export", "reimport"), ("import", "reexport"), ("transit_open", "transit_close"))
WHERE = {
    "export": "exported from",
    "import": "imported into",
    "transit_open": "opened in transit in",
}


def outstanding(bal: dict, add: str, remove: str, territory_id: int, item_id: int) -> int:
    return bal.get((add, territory_id, item_id), 0) - bal.get((remove, territory_id, item_id), 0)


def check_quantities(
    session: Session,
    carnet: Carnet,
    kind: str,
    territory_id: int,
    territory_label: str,
    lines: list[tuple[GoodsItem, int]],
) -> None:
    """R-06: a split shipment may take part of the goods; never more than went the other way."""
    if kind in ("validation", "pre_export"):
        kind_eff = "export" if kind == "pre_export" else None
        if kind_eff is None:
            return
        kind = kind_eff
    bal = balances(session, carnet.id)
    for add, remove in PAIRS:
        for item, qty in lines:
            out = outstanding(bal, add, remove, territory_id, item.id)
            if kind == add and out + qty > item.pieces:
                raise Conflict(
                    f"Item {item.item_no}: {qty} piece(s) cannot be {WHERE[add].split()[0]} "
                    f"again: {out} of its {item.pieces} piece(s) are already {WHERE[add]} "
                    f"{territory_label} and not back yet.",
                    code="quantity",
                    item=item.item_no,
                )
            if kind == remove and qty > out:
                verb = {
                    "reimport": "re-imported",
                    "reexport": "re-exported",
                    "transit_close": "closed in transit",
                }[remove]
                raise Conflict(
                    f"Item {item.item_no}: {qty} piece(s) cannot be {verb}: only {out} "
                    f"piece(s) were {WHERE[add]} {territory_label} and not yet {verb}.",
                    code="quantity",
                    item=item.item_no,
                )


def check_balances_after_cancel(session: Session, txn: Transaction, territory_label: str) -> None:
    """Cancelling must leave every balance within 0 … pieces (R-05, R-06): an importation whose
    goods were re-exported since, or a re-importation of goods exported again since, waits
    until that later transaction is cancelled."""
    bal = balances(session, txn.carnet_id, exclude_transaction=txn.id)
    pieces = {
        i.id: i.pieces
        for i in session.scalars(select(GoodsItem).where(GoodsItem.carnet_id == txn.carnet_id))
    }
    done = {
        "reimport": "re-imported",
        "reexport": "re-exported",
        "transit_close": "closed in transit",
        "export": "exported again",
        "import": "imported again",
        "transit_open": "opened in transit again",
    }
    for add, remove in PAIRS:
        if txn.kind not in (add, remove):
            continue
        for line in txn.items:
            if line.line != "cleared":
                continue
            out = outstanding(bal, add, remove, txn.territory_id, line.goods_item_id)
            if out < 0 or out > pieces[line.goods_item_id]:
                later = remove if out < 0 else add
                raise Conflict(
                    f"This {label(txn.kind)} cannot be cancelled: item {line.item_no} was "
                    f"{done[later]} after it in {territory_label}. Cancel that "
                    f"{label(later)} first.",
                    code="cancel_order",
                )


# --- final dates -----------------------------------------------------------------------


def stay_cap(session: Session, carnet: Carnet) -> tuple[dt.date, Carnet] | None:
    """For a replacement carnet: the end of the 24-month stay from its original's issue."""
    if carnet.order_type != "replacement":
        return None
    link = next(
        (lk for lk in carnet.links if lk.kind == "replaces" and lk.linked_carnet_id is not None),
        None,
    )
    if link is None:
        return None
    original = session.get(Carnet, link.linked_carnet_id)
    # an original replaced in turn: the stay started at the first one
    seen = {carnet.id}
    while original is not None and original.order_type == "replacement" and original.id not in seen:
        seen.add(original.id)
        up = next(
            (
                lk
                for lk in original.links
                if lk.kind == "replaces" and lk.linked_carnet_id is not None
            ),
            None,
        )
        if up is None:
            break
        original = session.get(Carnet, up.linked_carnet_id)
    if original is None:
        return None
    return add_months(original.issue_date, STAY_MONTHS_CAP), original


FINAL_DATE_LABELS = {
    "export": _l("final date for duty-free re-importation"),
    "import": _l("final date for re-exportation"),
    "transit_open": _l("final date for production to customs"),
    "pre_export": _l("final date for duty-free re-importation"),
}


def check_final_date(
    session: Session, carnet: Carnet, kind: str, final_date: dt.date, today: dt.date
) -> None:
    what = FINAL_DATE_LABELS[kind]
    if final_date < today:
        raise DomainError(
            f"The {what} ({fmt_date(final_date)}) is already past.",
            field="final_date",
            code="final_date",
        )
    cap = stay_cap(session, carnet)
    if cap is not None and final_date > cap[0]:
        limit, original = cap
        raise DomainError(
            f"The {what} ({fmt_date(final_date)}) is too late: with its original carnet "
            f"{original.carnet_number} issued on {fmt_date(original.issue_date)}, the stay may "
            f"not exceed {STAY_MONTHS_CAP} months, so {fmt_date(limit)} at the latest.",
            field="final_date",
            code="stay_cap",
        )
    if final_date > carnet.valid_until:
        raise DomainError(
            f"The {what} ({fmt_date(final_date)}) cannot be later than the carnet's validity "
            f"({fmt_date(carnet.valid_until)}).",
            field="final_date",
            code="final_date",
        )


def lines_by_item(lines: list[tuple[GoodsItem, int]]) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for item, qty in lines:
        out[item.id] += qty
    return out
