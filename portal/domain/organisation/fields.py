"""The rules of an organisation's fields (F-15, F-16): one function per kind of value,
used by the administration forms and by bulk creation alike, so a form field and a bulk cell
are refused for the same reasons with the same words (R-12).

Each check takes the raw value and the field it belongs to and returns the clean value or
raises DomainError naming that field.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import caches
from portal.domain import DomainError, PermissionDenied

# what a person may not type at the start of a text: "=" (a spreadsheet formula), and a tab or
# carriage return (hidden, and run as a formula start by spreadsheets); + - @ stay allowed
# (phone numbers, names) — exports neutralise them (portal/domain/cells.py)
REFUSED_START = ("=", "\t", "\r")


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def timezones() -> tuple[str, ...]:
    """The IANA zones offered for an office (reading them walks the tz database: done once)."""
    return tuple(
        sorted(
            z
            for z in known_zones()
            if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))
        )
    )


@caches.register("organisation.zones")
def _forget_zones() -> None:
    known_zones.cache_clear()
    timezones.cache_clear()


def text(value: Any, field: str, label: str, *, required: bool = False, max_len: int) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        raise DomainError(_("Enter the %(label)s.", label=label), field)
    if len(value) > max_len:
        raise DomainError(
            _(
                "The %(label)s can have at most %(max_len)s characters.",
                label=label,
                max_len=max_len,
            ),
            field,
        )
    refuse_formula(value, field, label)
    return value


def refuse_formula(value: Any, field: str, label: str) -> None:
    """Refuse text starting with "=", a tab or a carriage return (a spreadsheet would run it)."""
    if isinstance(value, str) and value[:1] in REFUSED_START:
        raise DomainError(
            _(
                'The %(label)s cannot start with "=", a tab or a line break: type the value itself.',
                label=label,
            ),
            field,
        )


def email_address(value: Any, field: str = "email", *, required: bool = True) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            raise DomainError(_("Enter an email address."), field)
        return ""
    if len(value) > 254:
        raise DomainError(_("The email address can have at most 254 characters."), field)
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(
            _("Enter a valid email address, like name@customs.example."), field
        ) from None
    return info.normalized.lower()


def coordinate(value: Any, field: str, label: str, limit: int) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise DomainError(
            _("The %(label)s must be a number, like 50.901.", label=label), field
        ) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise DomainError(
            _("The %(label)s must be between -%(limit)s and %(limit)s.", label=label, limit=limit),
            field,
        )
    return number.quantize(Decimal("0.000001"))


class Invalid(DomainError):
    """Several fields refused at once: `errors` maps each field to its message (the first one is
    also `field`/`message`), so a form shows every error in one round trip."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field, code="invalid")
        self.errors = dict(errors)


class Fields:
    """Runs one check per field and gathers their refusals (a PermissionDenied stops at once)."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, field: str, run) -> Any:
        try:
            return run()
        except PermissionDenied:
            raise
        except DomainError as e:
            if e.field is None:
                raise
            self.errors.setdefault(e.field, e.message)
            return None

    def refuse(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def done(self) -> None:
        if len(self.errors) == 1:
            [(field, message)] = self.errors.items()
            raise DomainError(message, field)
        if self.errors:
            raise Invalid(self.errors)


# the text values of an organisation: (object, field) → (label, max length, required)
TEXTS: dict[tuple[str, str], tuple[Any, int, bool]] = {
    ("region", "name"): (_l("region name"), 120, True),
    ("office", "name"): (_l("office name"), 160, True),
    ("office", "code"): (_l("office code"), 32, False),
    ("office", "street"): (_l("street"), 200, False),
    ("office", "postal_code"): (_l("postal code"), 20, False),
    ("office", "city"): (_l("city"), 120, False),
    ("office", "phone"): (_l("phone number"), 40, False),
    ("office", "opening_hours"): (_l("opening hours"), 2000, False),
    ("account", "full_name"): (_l("full name"), 200, True),
}


def text_of(kind: str, name: str, value: Any, field: str | None = None) -> str:
    """The text value `name` of a `kind` (region, office, account) by its rule in TEXTS;
    refusals name `field` (the form field, or the bulk column)."""
    label, max_len, required = TEXTS[(kind, name)]
    return text(value, field or name, label, required=required, max_len=max_len)


def phone(value: Any, field: str = "phone") -> str:
    number = text_of("office", "phone", value, field)
    if number and not re.fullmatch(r"[0-9+()./ -]{3,40}", number):
        raise DomainError(_("Enter a phone number with digits, spaces and + ( ) - only."), field)
    return number


def latitude(value: Any, field: str = "latitude") -> Decimal | None:
    return coordinate(value, field, "latitude", 90)


def longitude(value: Any, field: str = "longitude") -> Decimal | None:
    return coordinate(value, field, "longitude", 180)


class Refusals(Protocol):
    """What gathers refusals by field: a form's Fields, a bulk row."""

    errors: dict[str, str]

    def refuse(self, field: str, message: str) -> None: ...


def both_coordinates(fields: Refusals, lat: Any, lon: Any, names=("latitude", "longitude")) -> None:
    """A position has both coordinates or none."""
    if names[0] in fields.errors or names[1] in fields.errors or (lat is None) == (lon is None):
        return
    missing = "longitude" if lon is None else "latitude"
    fields.refuse(
        names[1] if lon is None else names[0],
        f"Enter the {missing} too, or leave both coordinates empty.",
    )


def timezone(value: Any, field: str = "timezone") -> str | None:
    zone = (value or "").strip() or None
    if zone is not None and zone not in known_zones():
        raise DomainError(_("Choose a time zone from the list, like Europe/Brussels."), field)
    return zone
