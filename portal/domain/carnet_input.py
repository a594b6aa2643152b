"""The business checks of a carnet body (F-20, F-21): what the JSON schema cannot say.

The schema checks shapes and types; these checks read meaning (dates, reference data, the
general list's numbering, the format's paper number). Each check is a named function over
one `Body`; a field of the wrong JSON type is skipped here (the schema reports it), so both
lists of errors can be returned together and no input makes a check fail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import MAX_ID
from portal.models import NGA, Carnet, Country, Currency, IssuingAssociation


def fmt_date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day is not None else ""


def years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def one_year_after(day: dt.date) -> dt.date:
    return years_after(day, 1)


# --- reading fields of the expected type (None otherwise) -------------------------------------


def text(value) -> str | None:
    return value if isinstance(value, str) else None


def whole(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def decimal(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def date(value) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def listed(value) -> list | None:
    return value if isinstance(value, list) else None


@dataclass
class Body:
    """A carnet body being checked, with what the checks share."""

    session: Session
    nga: NGA
    data: dict
    today: dt.date
    original: Carnet | None
    country_status: dict[str, str] = field(default_factory=dict)  # code → ATA status
    errors: list[dict] = field(default_factory=list)

    def err(self, name: str, message: str) -> None:
        self.errors.append({"field": name, "message": message})

    def get(self, name: str):
        return self.data.get(name)

    def items(self) -> list[tuple[int, dict]]:
        return [
            (i, item)
            for i, item in enumerate(listed(self.get("items")) or [])
            if isinstance(item, dict)
        ]

    def is_country(self, code: str) -> bool:
        return code in self.country_status

    def accepts_ata(self, code: str) -> bool:
        return self.country_status.get(code) in ("paper", "digital")


def mentioned_countries(body: Body) -> set[str]:
    codes = [
        body.get("departure_country"),
        *(listed(body.get("countries")) or []),
        *(item.get("origin_country") for _, item in body.items()),
    ]
    return {c for c in codes if isinstance(c, str)}


# --- the checks, in the order their errors are listed ------------------------------------------


def check_dates(body: Body) -> None:
    issue_date, valid_until = date(body.get("issue_date")), date(body.get("valid_until"))
    if "issue_date" in body.data and issue_date is None:
        body.err("issue_date", "Give the issue date as YYYY-MM-DD.")
    if "valid_until" in body.data and valid_until is None:
        body.err("valid_until", "Give the validity date as YYYY-MM-DD.")
    if issue_date and issue_date > body.today:
        body.err("issue_date", f"The issue date {fmt_date(issue_date)} is in the future.")
    if issue_date and valid_until:
        if valid_until < issue_date:
            body.err("valid_until", "The carnet cannot expire before it is issued.")
        elif valid_until > one_year_after(issue_date):
            body.err(
                "valid_until",
                f"A carnet is valid at most one year: issued on "
                f"{fmt_date(issue_date)}, it can be valid until "
                f"{fmt_date(one_year_after(issue_date))} at the latest.",
            )
    if valid_until and valid_until < body.today:
        body.err("valid_until", f"The validity date {fmt_date(valid_until)} has already passed.")


def check_replacement_stay(body: Body) -> None:
    """R-12: with its replacement, a stay lasts at most 24 months from the original's issue."""
    valid_until = date(body.get("valid_until"))
    if body.original is None or valid_until is None:
        return
    limit = years_after(body.original.issue_date, 2)
    if valid_until > limit:
        body.err(
            "valid_until",
            f"With its replacement, a stay may not exceed 24 months from "
            f"the original's issue ({fmt_date(body.original.issue_date)}): valid until "
            f"{fmt_date(limit)} at the latest.",
        )


def check_number_unique(body: Body) -> None:
    number = text(body.get("carnet_number"))
    if number and body.session.scalar(select(Carnet.id).where(Carnet.carnet_number == number)):
        body.err("carnet_number", f"A carnet numbered {number} already exists.")


def check_currency(body: Body) -> None:
    currency = text(body.get("currency"))
    if currency is not None and body.session.get(Currency, currency) is None:
        body.err("currency", f"{currency} is not an ISO 4217 currency code.")


def check_departure(body: Body) -> None:
    dep = text(body.get("departure_country"))
    if dep is not None and not body.is_country(dep):
        body.err("departure_country", f"{dep} is not an ISO 3166 country code.")


def check_issuing_association(body: Body) -> None:
    ia_id = whole(body.get("issuing_association_id"))
    if ia_id is None:
        return
    ia = body.session.get(IssuingAssociation, ia_id) if 0 < ia_id <= MAX_ID else None
    if ia is None or ia.nga_id != body.nga.id:
        body.err("issuing_association_id", "No issuing association with this id under your NGA.")


def check_box_p(body: Body) -> None:
    box_p = listed(body.get("countries"))
    if box_p is None:
        return
    if not box_p:
        body.err("countries", "Box P needs at least one country.")
    seen: set[str] = set()
    for i, code in enumerate(box_p):
        if not isinstance(code, str):
            continue
        if not body.is_country(code):
            body.err(f"countries[{i}]", f"{code} is not an ISO 3166 country code.")
        elif not body.accepts_ata(code):
            body.err(f"countries[{i}]", f"{code} does not accept ATA carnets.")
        if code in seen:
            body.err(f"countries[{i}]", f"{code} is listed twice.")
        seen.add(code)


def check_item(body: Body, i: int, item: dict, count: int) -> None:
    """One line of the general list: its number, origin, value and weight/volume."""
    where = f"items[{i}]"
    no = whole(item.get("item_no"))
    if no is not None and no != i + 1:
        body.err(
            f"{where}.item_no",
            f"Items are numbered 1 to {count} in order: this one should be {i + 1}, not {no}.",
        )
    origin = text(item.get("origin_country"))
    if origin is not None and not body.is_country(origin):
        body.err(f"{where}.origin_country", f"{origin} is not an ISO 3166 country code.")
    value = decimal(item.get("value"))
    if value is not None and value > 0 and value != value.quantize(Decimal("0.01")):
        body.err(f"{where}.value", "Give the value with at most 2 decimals.")
    quantity = decimal(item.get("quantity"))
    if quantity is not None and quantity > 0 and quantity != quantity.quantize(Decimal("0.001")):
        body.err(f"{where}.quantity", "Give the weight or volume with at most 3 decimals.")
    if ("quantity" in item) != ("unit" in item):
        body.err(f"{where}.unit", "Give the weight/volume and its unit together.")


def check_items(body: Body) -> None:
    items = listed(body.get("items"))
    if items is None:
        return
    if not items:
        body.err("items", "The general list needs at least one item.")
    for i, item in body.items():
        check_item(body, i, item, len(items))


def check_sets(body: Body) -> None:
    sets = body.get("sets")
    if not isinstance(sets, dict) or any(whole(v) is None for v in sets.values()):
        return
    if sum(v for v in sets.values() if v > 0) == 0:
        body.err("sets", "The carnet needs at least one set.")


def check_format(body: Body) -> None:
    """A paper clone or twin names its paper carnet; a clone carries the same number."""
    fmt, paper = text(body.get("format")), body.get("paper_carnet_number")
    number = body.get("carnet_number")
    if fmt in ("paper_clone", "twin") and not paper:
        body.err("paper_carnet_number", "A paper clone or twin names its paper carnet's number.")
    if fmt == "digital" and paper:
        body.err("paper_carnet_number", "A digital carnet has no paper carnet number.")
    if fmt == "paper_clone" and paper and number and paper != number:
        body.err(
            "paper_carnet_number", "A digital clone carries the same number as its paper carnet."
        )


CHECKS: tuple[Callable[[Body], None], ...] = (
    check_dates,
    check_replacement_stay,
    check_number_unique,
    check_currency,
    check_departure,
    check_issuing_association,
    check_box_p,
    check_items,
    check_sets,
    check_format,
)


def check_carnet_input(
    session: Session, nga: NGA, data: dict, today: dt.date, original: Carnet | None = None
) -> list[dict]:
    """Every business error of a carnet body, as [{"field", "message"}] (see CHECKS)."""
    body = Body(session, nga, data, today, original)
    codes = mentioned_countries(body)
    body.country_status = dict(
        session.execute(select(Country.code, Country.ata_status).where(Country.code.in_(codes)))
        .tuples()
        .all()
    )
    for check in CHECKS:
        check(body)
    return body.errors
