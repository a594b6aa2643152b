"""The rules of an organisation's fields (F-15, F-16): one function per kind of value,
used by the administration forms and by bulk creation alike, so a form field and a bulk cell
are refused for the same reasons with the same words (R-12).

Each check takes the raw value and the field it belongs to and returns the clean value or
raises DomainError naming that field.
"""

from __future__ import annotations

import functools
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import caches
from portal.domain import DomainError, PermissionDenied
from portal.domain import Invalid as Invalid

# the checks of a text and of an email address are shared with the other portals' accounts
# (portal/domain/values.py): the same words wherever a person types them
from portal.domain.values import FULL_NAME_LABEL, FULL_NAME_MAX
from portal.domain.values import REFUSED_START as REFUSED_START
from portal.domain.values import email_address as email_address
from portal.domain.values import phone as phone
from portal.domain.values import refuse_formula as refuse_formula
from portal.domain.values import text as text


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
    ("account", "full_name"): (FULL_NAME_LABEL, FULL_NAME_MAX, True),
}


def text_of(kind: str, name: str, value: Any, field: str | None = None) -> str:
    """The text value `name` of a `kind` (region, office, account) by its rule in TEXTS;
    refusals name `field` (the form field, or the bulk column)."""
    label, max_len, required = TEXTS[(kind, name)]
    return text(value, field or name, label, required=required, max_len=max_len)


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
