"""What a row of each kind must be (F-16): the columns of the templates and the checks of a row.

Every value an administration form also has is checked by the same function as the form
(portal/domain/organisation/fields.py), so a bulk cell and a form field are refused for the same
reasons in the same words; what only a spreadsheet has (names instead of ids, Yes/No, uniqueness
within the file) is checked here. Every cell goes through `check_cell` first, at the upload and
when it is edited in the cleaning session alike.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import caches
from portal.domain import DomainError
from portal.domain.organisation import fields as rules
from portal.domain.permissions import ADMIN, ROLE_LABELS, ROLES
from portal.models import (
    Account,
    Country,
    CustomsAdministration,
    CustomsTerritory,
    Office,
    Region,
)

KINDS = ("region", "office", "account")
YES_NO = ("Yes", "No")
_YES = {"yes", "y", "true", "1", "x", "oui", "ja", "si", "sí"}
_NO = {"no", "n", "false", "0", "non", "nee", "nein"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str | LazyString  # lazy_gettext: the header in the language of the request
    required: bool = False
    hint: str | LazyString = ""
    list_name: str | None = None  # a column of the ListValues sheet offered as a drop-down
    max_len: int = 200
    width: int = 20
    decimal_range: tuple[int, int] | None = None

    @property
    def header(self) -> str:
        """The column's header in the current language."""
        return str(self.label)


@dataclass(frozen=True)
class KindSpec:
    kind: str
    sheet: str
    title: str | LazyString
    columns: tuple[Column, ...]
    unique: str  # the column unique within the file and the administration
    validate: Callable[[Context, KindSpec, dict], tuple[dict, dict]]
    create: Callable

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass
class Context:
    """What validation checks rows against, loaded once per pass (no query per row)."""

    customs: CustomsAdministration
    territory: CustomsTerritory
    regions: dict[str, Region]
    offices: dict[str, Office]
    emails: set[str]
    countries: dict[str, str]  # lower code or name → code
    seen: Counter = field(default_factory=Counter)


def load_context(session: Session, customs: CustomsAdministration) -> Context:
    cid = customs.id
    regions = {
        r.name.strip().lower(): r
        for r in session.scalars(select(Region).where(Region.customs_id == cid))
    }
    offices = {
        o.name.strip().lower(): o
        for o in session.scalars(select(Office).where(Office.customs_id == cid))
    }
    emails = set(
        session.scalars(select(func.lower(Account.email)).where(Account.customs_id == cid))
    )
    countries: dict[str, str] = {}
    for code, name in session.execute(select(Country.code, Country.name)):
        countries[code.lower()] = code
        countries[name.lower()] = code
    territory = session.get_one(CustomsTerritory, customs.territory_id)
    return Context(customs, territory, regions, offices, emails, countries)


# --- one cell ------------------------------------------------------------------------------


def check_cell(value: Any, max_chars: int) -> str:
    """A cell as typed (in the file or in the cleaning screen): its text, trimmed. Refused —
    the same way at the upload and in the cleaning session — when it is longer than
    `max_chars` or starts with "=", a tab or a line break (a formula)."""
    text = "" if value is None else str(value).strip()
    if len(text) > max_chars:
        raise DomainError(f"A cell holds more than {max_chars:,} characters.", field="file")
    try:
        rules.refuse_formula(text, "file", "cell")
    except DomainError:
        raise DomainError(
            'A cell starts with "=" (a formula). Remove it or type the value without the "=".',
            field="file",
        ) from None
    return text


# --- value parsing ------------------------------------------------------------------------


class _Row:
    """The refusals of one row, keyed by column; each check runs the shared rule."""

    def __init__(self, spec: KindSpec, data: dict) -> None:
        self.spec, self.data = spec, data
        self.errors: dict[str, str] = {}
        for col in spec.columns:
            value = data.get(col.key, "")
            if value[:1] in rules.REFUSED_START:
                self.errors[col.key] = _(
                    '%(column)s cannot start with "=", a tab or a line break: type the value '
                    "itself.",
                    column=col.header,
                )
            elif col.required and not value.strip():
                self.errors[col.key] = _("%(column)s is required.", column=col.header)
            elif len(value) > col.max_len:
                self.errors[col.key] = _(
                    "%(column)s is too long (at most %(count)s characters).",
                    column=col.header,
                    count=col.max_len,
                )

    def refuse(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)

    def value(self, key: str) -> str:
        return self.data.get(key, "").strip()

    def check(self, key: str, run: Callable[[], Any]) -> Any:
        """run() → the clean value; its refusal goes to the column `key` (the first one kept)."""
        if key in self.errors:
            return None
        try:
            return run()
        except DomainError as e:
            self.errors.setdefault(key, e.message)
            return None

    def yes_no(self, key: str, default: bool) -> bool:
        v = self.value(key).lower()
        if not v:
            return default
        if v in _YES or v in _NO:
            return v in _YES
        self.errors[key] = _("%(column)s must be Yes or No.", column=self.spec.column(key).header)
        return default


@lru_cache(maxsize=65_536)  # each address is checked for in-file uniqueness, then as a value
def _email(value: str) -> str | None:
    try:
        return rules.email_address(value, required=False) or None
    except DomainError:
        return None


@caches.register("bulk.emails")
def _forget_emails() -> None:
    _email.cache_clear()


def _role(value: str) -> str | None:
    v = value.strip().lower()
    if v.startswith("customs "):
        v = v[len("customs ") :]
    v = v.replace("-", " ").replace(" ", "_")
    if v in ROLES:
        return v
    for code, label in ROLE_LABELS.items():
        if label.lower().replace(" ", "_") == v:
            return code
    return None


def _unique(ctx: Context, row: _Row, key: str, existing: bool) -> None:
    spec = row.spec
    header = spec.column(spec.unique).header
    if not key or spec.unique in row.errors:
        return
    if ctx.seen[key] > 1:
        row.errors[spec.unique] = _(
            "This %(what)s appears more than once in the file.", what=header.lower()
        )
    elif existing:
        row.errors[spec.unique] = _("This %(what)s already exists.", what=header.lower())


def _territory_label(t: CustomsTerritory) -> str:
    return f"{t.code} – {t.name}"


# --- regions -------------------------------------------------------------------------------


def validate_region(ctx: Context, spec: KindSpec, data: dict) -> tuple[dict, dict]:
    row = _Row(spec, data)
    name = row.check("name", lambda: rules.text_of("region", "name", data.get("name"))) or ""
    _unique(ctx, row, name.lower(), name.lower() in ctx.regions)
    territory = row.value("territory").lower()
    own = ctx.territory
    if (
        territory
        and "territory" not in row.errors
        and territory not in (own.code.lower(), own.name.lower(), _territory_label(own).lower())
    ):
        row.errors["territory"] = _(
            "A region of %(administration)s belongs to its customs territory: choose "
            "%(territory)s.",
            administration=ctx.customs.name,
            territory=_territory_label(own),
        )
    active = row.yes_no("active", True)
    return row.errors, {"name": name, "territory_id": own.id, "active": active}


def create_region(session: Session, customs_id: int, values: dict) -> Region:
    region = Region(customs_id=customs_id, **values)
    session.add(region)
    return region


# --- offices -------------------------------------------------------------------------------

OFFICE_FLAGS = (
    ("is_administrative", "administrative"),
    ("is_sea_port", "sea_port"),
    ("is_airport", "airport"),
    ("is_land_port", "land_port"),
)
OFFICE_TEXTS = ("code", "street", "postal_code", "city", "opening_hours")


def validate_office(ctx: Context, spec: KindSpec, data: dict) -> tuple[dict, dict]:
    row = _Row(spec, data)
    name = row.check("name", lambda: rules.text_of("office", "name", data.get("name"))) or ""
    _unique(ctx, row, name.lower(), name.lower() in ctx.offices)
    region = None
    region_name = row.value("region")
    if region_name and "region" not in row.errors:
        region = ctx.regions.get(region_name.lower())
        if region is None:
            row.errors["region"] = _(
                "There is no region named “%(name)s”. Create the regions first, then download "
                "this template again.",
                name=region_name,
            )
    country = None
    if row.value("country") and "country" not in row.errors:
        country = ctx.countries.get(row.value("country").lower())
        if country is None:
            row.errors["country"] = _("Choose a country from the list (ISO code or name).")
    texts = {
        key: row.check(key, functools.partial(rules.text_of, "office", key, data.get(key)))
        for key in OFFICE_TEXTS
    }
    email = row.check("email", lambda: rules.email_address(data.get("email"), required=False))
    phone = row.check("phone", lambda: rules.phone(data.get("phone")))
    lat = row.check("latitude", lambda: rules.latitude(data.get("latitude")))
    lon = row.check("longitude", lambda: rules.longitude(data.get("longitude")))
    rules.both_coordinates(row, lat, lon)
    timezone = row.check("timezone", lambda: rules.timezone(data.get("timezone")))
    flags = {attr: row.yes_no(key, False) for attr, key in OFFICE_FLAGS}
    values = {
        "region_id": region.id if region is not None else None,
        "name": name,
        **{key: value or "" for key, value in texts.items()},
        "code": texts["code"] or None,
        "country_code": country or ctx.customs.country_code,
        "email": email or "",
        "phone": phone or "",
        "latitude": lat,
        "longitude": lon,
        "timezone": timezone or ctx.customs.timezone,
        "active": row.yes_no("active", True),
        **flags,
    }
    return row.errors, values


def create_office(session: Session, customs_id: int, values: dict) -> Office:
    office = Office(customs_id=customs_id, **values)
    session.add(office)
    return office


# --- accounts ------------------------------------------------------------------------------


def _office_and_region(
    ctx: Context, row: _Row, role: str | None
) -> tuple[Office | None, Region | None]:
    """The office and region an account row names, checked against each other and the role
    (an admin has no region; another role an office, whose region it takes by default)."""
    office = region = None
    office_name, region_name = row.value("office"), row.value("region")
    if office_name and "office" not in row.errors:
        office = ctx.offices.get(office_name.lower())
        if office is None:
            row.errors["office"] = _(
                "There is no office named “%(name)s”. Create the offices first, then download "
                "this template again.",
                name=office_name,
            )
    if region_name and "region" not in row.errors:
        region = ctx.regions.get(region_name.lower())
        if region is None:
            row.errors["region"] = _("There is no region named “%(name)s”.", name=region_name)
    if role == ADMIN:
        if region_name and "region" not in row.errors:
            row.errors["region"] = _(
                "An admin acts for the whole administration: leave Region empty."
            )
    elif role is not None:
        if not office_name and "office" not in row.errors:
            row.errors["office"] = _("Office is required for this role.")
        if office is not None and region is not None and office.region_id != region.id:
            row.errors["region"] = _(
                "The office “%(office)s” is not in the region “%(region)s”.",
                office=office.name,
                region=region.name,
            )
        if region is None and office is not None:
            region = office.region
    return office, region


def validate_account(ctx: Context, spec: KindSpec, data: dict) -> tuple[dict, dict]:
    row = _Row(spec, data)
    full_name = (
        row.check("full_name", lambda: rules.text_of("account", "full_name", data.get("full_name")))
        or ""
    )
    # the cached result when valid; the shared rule again only to say why not
    email = (
        row.check(
            "email", lambda: _email(row.value("email")) or rules.email_address(data.get("email"))
        )
        or ""
    )
    if "email" not in row.errors:
        _unique(ctx, row, email, email in ctx.emails)
    role = None
    if row.value("role") and "role" not in row.errors:
        role = _role(row.value("role"))
        if role is None:
            row.errors["role"] = _(
                "Choose a role from the list: %(roles)s.", roles=", ".join(ROLE_LABELS.values())
            )
    office, region = _office_and_region(ctx, row, role)
    values = {
        "full_name": full_name,
        "email": email,
        "role": role,
        "office_id": office.id if office is not None else None,
        "region_id": region.id if (region is not None and role != ADMIN) else None,
        "active": row.yes_no("active", True),
    }
    return row.errors, values


def create_account(session: Session, customs_id: int, values: dict) -> Account:
    """A new account without a password: the invitation link lets its owner set one (F-11)."""
    account = Account(customs_id=customs_id, password_hash=None, **values)
    session.add(account)
    return account


def validate_all(ctx: Context, spec: KindSpec, rows: list[dict]) -> list[tuple[dict, dict]]:
    """Validate every row, including uniqueness within the file."""
    if spec.kind == "account":
        keys = [
            (_email(r.get("email", "").strip()) or r.get("email", "")).strip().lower() for r in rows
        ]
    else:
        keys = [r.get(spec.unique, "").strip().lower() for r in rows]
    ctx.seen = Counter(k for k in keys if k)
    return [spec.validate(ctx, spec, r) for r in rows]
