"""The columns of each kind's template (F-16): header, hint, drop-down list, width, and which
validation and creation function a row of that kind goes through (portal/domain/bulk/rules.py).
"""

from __future__ import annotations

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
    "active", "Active", hint="Yes or No (empty means Yes).", list_name="YesNo", max_len=5, width=10
)


def _flag(key: str, header: str) -> Column:
    return Column(
        key, header, hint="Yes or No (empty means No).", list_name="YesNo", max_len=5, width=12
    )


SPECS: dict[str, KindSpec] = {
    "region": KindSpec(
        "region",
        "CustomsRegions",
        "Customs regions",
        (
            Column("name", "Name", True, "A unique region name.", max_len=120, width=30),
            Column(
                "territory",
                "Territory",
                True,
                "The customs territory the region belongs to.",
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
        "Customs offices",
        (
            Column(
                "region",
                "Region",
                True,
                "An existing region (from the list).",
                list_name="Regions",
                max_len=120,
                width=26,
            ),
            Column("name", "Name", True, "A unique office name.", max_len=160, width=30),
            Column("code", "Code", hint="National office reference (optional).", max_len=32),
            Column("street", "Street", max_len=200, width=28),
            Column("postal_code", "Postal code", max_len=20, width=12),
            Column("city", "City", max_len=120),
            Column(
                "country",
                "Country",
                hint="ISO code or name; empty means the administration's country.",
                list_name="Countries",
                max_len=120,
            ),
            Column(
                "email",
                "Email",
                hint="Contact email of the office (optional).",
                max_len=254,
                width=28,
            ),
            Column("phone", "Phone", max_len=40),
            Column("opening_hours", "Opening hours", max_len=2000, width=28),
            Column(
                "latitude",
                "Latitude",
                hint="Decimal degrees between -90 and 90 (e.g. 51.2602).",
                max_len=20,
                width=12,
                decimal_range=(-90, 90),
            ),
            Column(
                "longitude",
                "Longitude",
                hint="Decimal degrees between -180 and 180.",
                max_len=20,
                width=12,
                decimal_range=(-180, 180),
            ),
            _flag("administrative", "Administrative"),
            _flag("sea_port", "Sea port"),
            _flag("airport", "Airport"),
            _flag("land_port", "Land port"),
            Column(
                "timezone",
                "Time zone",
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
        "Accounts",
        (
            Column(
                "full_name", "Full name", True, "Full name or badge number.", max_len=200, width=30
            ),
            Column(
                "email",
                "Email",
                True,
                "A unique email address: the invitation is sent there.",
                max_len=254,
                width=32,
            ),
            Column(
                "role",
                "Role",
                True,
                "Admin, Regional manager, Controller or Officer.",
                list_name="Roles",
                max_len=40,
                width=18,
            ),
            Column(
                "office",
                "Office",
                hint="The assigned office (required except for admins).",
                list_name="Offices",
                max_len=160,
                width=30,
            ),
            Column(
                "region",
                "Region",
                hint="Optional: taken from the office when empty.",
                list_name="Regions",
                max_len=120,
                width=24,
            ),
            Column(
                "active",
                "Active",
                hint="Yes or No (empty means Yes): whether the user may log in.",
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
        raise DomainError("Unknown kind of object.")
    return SPECS[kind]
