"""The role matrix of the Customs User Guide ("Basics"), in one table (F-13).

Rows are the guide's rows; a role has a permission when the guide puts an X in its column.
The guide leaves "Customs settings" without any X; SPEC.md §1 gives settings to the admin,
so the admin has it here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

OFFICER = "officer"
CONTROLLER = "controller"
REGIONAL_MANAGER = "regional_manager"
ADMIN = "admin"
ROLES = (OFFICER, CONTROLLER, REGIONAL_MANAGER, ADMIN)
# the roles' names in English: the bulk creation templates and the accounts export use them
ROLE_LABELS = {
    OFFICER: "Officer",
    CONTROLLER: "Controller",
    REGIONAL_MANAGER: "Regional manager",
    ADMIN: "Admin",
}
# the roles' names on the screens, in the reader's language (F-83)
ROLE_NAMES = {
    OFFICER: _l("Officer"),
    CONTROLLER: _l("Controller"),
    REGIONAL_MANAGER: _l("Regional manager"),
    ADMIN: _l("Admin"),
}

_ALL = frozenset(ROLES)
PERMISSIONS: dict[str, frozenset[str]] = {
    "process_carnet": _ALL,
    "news": _ALL,
    "directory": _ALL,
    "statistics": frozenset({CONTROLLER, REGIONAL_MANAGER, ADMIN}),
    "transit_monitoring": _ALL,
    "logs": frozenset({CONTROLLER, ADMIN}),
    "customs_settings": frozenset({ADMIN}),
    "create_office": frozenset({REGIONAL_MANAGER, ADMIN}),
    "create_officer_account": frozenset({REGIONAL_MANAGER, ADMIN}),
    "create_region": frozenset({ADMIN}),
    "create_controller_account": frozenset({REGIONAL_MANAGER, ADMIN}),
    "create_regional_manager_account": frozenset({REGIONAL_MANAGER, ADMIN}),
    "create_admin_account": frozenset({ADMIN}),
    "bulk_creation": frozenset({ADMIN}),
}

# which permission creating/managing an account of a given role needs
ACCOUNT_ROLE_PERMISSION = {
    OFFICER: "create_officer_account",
    CONTROLLER: "create_controller_account",
    REGIONAL_MANAGER: "create_regional_manager_account",
    ADMIN: "create_admin_account",
}


def has_permission(role: str | None, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return role in PERMISSIONS[permission]


def creatable_roles(role: str) -> list[str]:
    """The roles of the accounts a user of `role` may create (the guide's matrix)."""
    return [r for r in ROLES if has_permission(role, ACCOUNT_ROLE_PERMISSION[r])]


def manageable_roles(role: str) -> list[str]:
    """The roles of the accounts a user of `role` may list, edit, disable, reset and delete.
    A regional manager may create a peer (the matrix) but manages officer and controller
    accounts only: never a peer's or an admin's (F-13)."""
    roles = creatable_roles(role)
    if role == REGIONAL_MANAGER:
        roles = [r for r in roles if r in (OFFICER, CONTROLLER)]
    return roles


def is_region_bound(role: str) -> bool:
    """Officers, controllers and regional managers act within their own region only (R-16)."""
    return role != ADMIN
