"""The columns of each kind's template (F-16): header, hint, drop-down list, width, and which
validation and creation function a row of that kind goes through (portal/domain/bulk/rules.py).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.domain import DomainError
from portal.domain.bulk.rules import (
    Column,
    KindSpec,
    create_account,
    create_office,
    create_region,
    validate_account,
    validate_office,
    validate_region,
)

# --- the kinds -----------------------------------------------------------------------------

_ACTIVE = Column(
    "active",
    _l("Active"),
    hint=_l("Yes or No (empty means Yes)."),
    list_name="YesNo",
    max_len=5,
    width=10,
)


def _flag(key: str, header: str) -> Column:
    return Column(
        key, header, hint=_l("Yes or No (empty means No)."), list_name="YesNo", max_len=5, width=12
    )


SPECS: dict[str, KindSpec] = {
    "region": KindSpec(
        "region",
        "CustomsRegions",
        _l("Customs regions"),
        (
            Column("name", _l("Name"), True, _l("A unique region name."), max_len=120, width=30),
            Column(
                "territory",
                _l("Territory"),
                True,
                _l("The customs territory the region belongs to."),
                list_name="Territories",
                max_len=120,
                width=30,
            ),
            _ACTIVE,
        ),
        "name",
        validate_region,
        create_region,
    ),
    "office": KindSpec(
        "office",
        "CustomsOffices",
        _l("Customs offices"),
        (
            Column(
                "region",
                _l("Region"),
                True,
                _l("An existing region (from the list)."),
                list_name="Regions",
                max_len=120,
                width=26,
            ),
            Column("name", _l("Name"), True, _l("A unique office name."), max_len=160, width=30),
            Column(
                "code", _l("Code"), hint=_l("National office reference (optional)."), max_len=32
            ),
            Column("street", _l("Street"), max_len=200, width=28),
            Column("postal_code", _l("Postal code"), max_len=20, width=12),
            Column("city", _l("City"), max_len=120),
            Column(
                "country",
                _l("Country"),
                hint=_l("ISO code or name; empty means the administration's country."),
                list_name="Countries",
                max_len=120,
            ),
            Column(
                "email",
                _l("Email"),
                hint=_l("Contact email of the office (optional)."),
                max_len=254,
                width=28,
            ),
            Column("phone", _l("Phone"), max_len=40),
            Column("opening_hours", _l("Opening hours"), max_len=2000, width=28),
            Column(
                "latitude",
                _l("Latitude"),
                hint=_l("Decimal degrees between -90 and 90 (e.g. 51.2602)."),
                max_len=20,
                width=12,
                decimal_range=(-90, 90),
            ),
            Column(
                "longitude",
                _l("Longitude"),
                hint=_l("Decimal degrees between -180 and 180."),
                max_len=20,
                width=12,
                decimal_range=(-180, 180),
            ),
            _flag("administrative", _l("Administrative")),
            _flag("sea_port", _l("Sea port")),
            _flag("airport", _l("Airport")),
            _flag("land_port", _l("Land port")),
            Column(
                "timezone",
                _l("Time zone"),
                hint="e.g. Europe/Brussels; empty means the administration's.",
                max_len=64,
            ),
            _ACTIVE,
        ),
        "name",
        validate_office,
        create_office,
    ),
    "account": KindSpec(
        "account",
        "Accounts",
        _l("Accounts"),
        (
            Column(
                "full_name",
                _l("Full name"),
                True,
                _l("Full name or badge number."),
                max_len=200,
                width=30,
            ),
            Column(
                "email",
                _l("Email"),
                True,
                _l("A unique email address: the invitation is sent there."),
                max_len=254,
                width=32,
            ),
            Column(
                "role",
                _l("Role"),
                True,
                _l("Admin, Regional manager, Controller or Officer."),
                list_name="Roles",
                max_len=40,
                width=18,
            ),
            Column(
                "office",
                _l("Office"),
                hint=_l("The assigned office (required except for admins)."),
                list_name="Offices",
                max_len=160,
                width=30,
            ),
            Column(
                "region",
                _l("Region"),
                hint=_l("Optional: taken from the office when empty."),
                list_name="Regions",
                max_len=120,
                width=24,
            ),
            Column(
                "active",
                _l("Active"),
                hint=_l("Yes or No (empty means Yes): whether the user may log in."),
                list_name="YesNo",
                max_len=5,
                width=10,
            ),
        ),
        "email",
        validate_account,
        create_account,
    ),
}


def spec_of(kind: str) -> KindSpec:
    if kind not in SPECS:
        raise DomainError(_("Unknown kind of object."))
    return SPECS[kind]
