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

from flask_babel import get_locale
from flask_babel import gettext as _
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
    """The country's name in the reader's language (Babel's names), else the stored one."""
    locale = get_locale()
    named = locale.territories.get(code) if locale is not None and code else None
    return named or session.scalar(select(Country.name).where(Country.code == code)) or code


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
            _(
                "Carnet %(number)s has been cancelled by its issuing association: no "
                "transaction is possible.",
                number=n,
            ),
            code="carnet_cancelled",
        )
    if carnet.status == "blocked":
        raise Conflict(
            _(
                "Carnet %(number)s is blocked by its issuing association: no transaction is "
                "possible until it is unblocked.",
                number=n,
            ),
            code="carnet_blocked",
        )
    if carnet.status == "discharged":
        raise Conflict(
            _("Carnet %(number)s has been discharged: no transaction is possible.", number=n),
            code="carnet_discharged",
        )
    if carnet.effective_status(today) == "expired" and kind not in EXPIRED_KINDS:
        raise Conflict(
            _(
                "This carnet expired on %(date)s: only re-exportation and re-importation are "
                "possible.",
                date=fmt_date(carnet.valid_until),
            ),
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
            _(
                "This carnet was already validated on %(date)s: validation happens only once.",
                date=fmt_date(activated_at),
            ),
            code="already_validated",
        )
    if kind != "validation" and activated_at is None:
        raise Conflict(
            _(
                "This carnet has not been validated yet: its validation must be committed in "
                "its departure country before the %(kind)s.",
                kind=label(kind),
            ),
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
            _(
                "The %(kind)s of this carnet is made in its departure country, %(departure)s, "
                "not in %(country)s.",
                kind=label(kind),
                departure=country_name(session, carnet.departure_country),
                country=country_name(session, place.country_code),
            ),
            code="not_departure_country",
        )
    if territory_of(session, voucher_country) != place.territory_id:
        raise DomainError(
            _(
                "This voucher is for the %(kind)s in %(voucher_country)s: it cannot be "
                "committed in %(country)s.",
                kind=label(kind),
                voucher_country=country_name(session, voucher_country),
                country=country_name(session, place.country_code),
            ),
            code="wrong_place",
        )
    if kind in HOME_KINDS:
        return
    if in_box_p is None:
        in_box_p = place.territory_id in box_p_territories(session, carnet.id)
    if not in_box_p:
        raise DomainError(
            _(
                "This carnet is not valid in %(country)s: it is not listed in Box P.",
                country=country_name(session, place.country_code),
            ),
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
            _(
                "This carnet is on hold in this customs territory since %(when)s (%(office)s, "
                "by %(officer)s): %(reason)s. An officer of %(office)s must release it first.",
                when=hold.held_at.strftime("%d/%m/%Y %H:%M UTC"),
                office=hold.office_name,
                officer=hold.held_by,
                reason=hold.reason,
            ),
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
# R-06's refusals, one sentence per direction so each language words it whole
TOO_MANY = {
    "export": _l(
        "Item %(no)s: %(qty)s piece(s) cannot be exported again: %(out)s of its %(pieces)s "
        "piece(s) are already exported from %(territory)s and not back yet."
    ),
    "import": _l(
        "Item %(no)s: %(qty)s piece(s) cannot be imported again: %(out)s of its %(pieces)s "
        "piece(s) are already imported into %(territory)s and not back yet."
    ),
    "transit_open": _l(
        "Item %(no)s: %(qty)s piece(s) cannot be opened in transit again: %(out)s of its "
        "%(pieces)s piece(s) are already opened in transit in %(territory)s and not back yet."
    ),
}
NOT_THAT_MANY = {
    "reimport": _l(
        "Item %(no)s: %(qty)s piece(s) cannot be re-imported: only %(out)s piece(s) were "
        "exported from %(territory)s and not yet re-imported."
    ),
    "reexport": _l(
        "Item %(no)s: %(qty)s piece(s) cannot be re-exported: only %(out)s piece(s) were "
        "imported into %(territory)s and not yet re-exported."
    ),
    "transit_close": _l(
        "Item %(no)s: %(qty)s piece(s) cannot be closed in transit: only %(out)s piece(s) were "
        "opened in transit in %(territory)s and not yet closed in transit."
    ),
}
CANCEL_FIRST = {
    "reimport": _l(
        "This %(kind)s cannot be cancelled: item %(no)s was re-imported after it in "
        "%(territory)s. Cancel that %(later)s first."
    ),
    "reexport": _l(
        "This %(kind)s cannot be cancelled: item %(no)s was re-exported after it in "
        "%(territory)s. Cancel that %(later)s first."
    ),
    "transit_close": _l(
        "This %(kind)s cannot be cancelled: item %(no)s was closed in transit after it in "
        "%(territory)s. Cancel that %(later)s first."
    ),
    "export": _l(
        "This %(kind)s cannot be cancelled: item %(no)s was exported again after it in "
        "%(territory)s. Cancel that %(later)s first."
    ),
    "import": _l(
        "This %(kind)s cannot be cancelled: item %(no)s was imported again after it in "
        "%(territory)s. Cancel that %(later)s first."
    ),
    "transit_open": _l(
        "This %(kind)s cannot be cancelled: item %(no)s was opened in transit again after it "
        "in %(territory)s. Cancel that %(later)s first."
    ),
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
                    str(TOO_MANY[add])
                    % {
                        "no": item.item_no,
                        "qty": qty,
                        "out": out,
                        "pieces": item.pieces,
                        "territory": territory_label,
                    },
                    code="quantity",
                    item=item.item_no,
                )
            if kind == remove and qty > out:
                raise Conflict(
                    str(NOT_THAT_MANY[remove])
                    % {"no": item.item_no, "qty": qty, "out": out, "territory": territory_label},
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
                    str(CANCEL_FIRST[later])
                    % {
                        "kind": label(txn.kind),
                        "no": line.item_no,
                        "territory": territory_label,
                        "later": label(later),
                    },
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
    what = str(FINAL_DATE_LABELS[kind])
    if final_date < today:
        raise DomainError(
            _("The %(what)s (%(date)s) is already past.", what=what, date=fmt_date(final_date)),
            field="final_date",
            code="final_date",
        )
    cap = stay_cap(session, carnet)
    if cap is not None and final_date > cap[0]:
        limit, original = cap
        raise DomainError(
            _(
                "The %(what)s (%(date)s) is too late: with its original carnet %(original)s "
                "issued on %(issued)s, the stay may not exceed %(months)s months, so %(limit)s "
                "at the latest.",
                what=what,
                date=fmt_date(final_date),
                original=original.carnet_number,
                issued=fmt_date(original.issue_date),
                months=STAY_MONTHS_CAP,
                limit=fmt_date(limit),
            ),
            field="final_date",
            code="stay_cap",
        )
    if final_date > carnet.valid_until:
        raise DomainError(
            _(
                "The %(what)s (%(date)s) cannot be later than the carnet's validity "
                "(%(valid_until)s).",
                what=what,
                date=fmt_date(final_date),
                valid_until=fmt_date(carnet.valid_until),
            ),
            field="final_date",
            code="final_date",
        )


def lines_by_item(lines: list[tuple[GoodsItem, int]]) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for item, qty in lines:
        out[item.id] += qty
    return out
