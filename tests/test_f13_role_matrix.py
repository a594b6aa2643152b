"""F-13: the role matrix of the Customs User Guide ("Basics"), checked cell by cell.

GUIDE is the guide's table written out literally (X = the role has the permission). Where a
screen exists, a request to a representative route must answer as the cell says (allowed or
403); for every cell, has_permission() must agree with the table.
"""

import itertools

import pytest
from sqlalchemy import func, select

from portal.domain.permissions import PERMISSIONS, ROLES, has_permission
from portal.models import Account, CustomsAdministration, Region

COLUMNS = ("officer", "controller", "regional_manager", "admin")
# row label in the guide, permission key, X per column (Officer, Controller, Regional manager, Admin)
GUIDE = [
    ("Process an ATA Carnet", "process_carnet", "X X X X"),
    ("News", "news", "X X X X"),
    ("Directory", "directory", "X X X X"),
    ("Statistics", "statistics", "- X X X"),
    ("Transit monitoring", "transit_monitoring", "X X X X"),
    ("Logs", "logs", "- X - X"),
    # the guide leaves this row empty; SPEC.md §1 gives "settings" to the admin
    ("Customs settings", "customs_settings", "- - - X"),
    ("Create a customs office", "create_office", "- - X X"),
    ("Create customs officer account", "create_officer_account", "- - X X"),
    ("Create customs region", "create_region", "- - - X"),
    ("Create customs controller account", "create_controller_account", "- - X X"),
    ("Create customs regional manager account", "create_regional_manager_account", "- - X X"),
    ("Bulk entity creation", "bulk_creation", "- - - X"),
]
# the admin's own row is not in the guide's table but in its text ("Admins can then create other
# Customs admin accounts"); regional managers cannot ("an admin cannot be created by a RM")
EXTRA = [("Create customs admin account", "create_admin_account", "- - - X")]
TABLE = {
    key: dict(zip(COLUMNS, (mark == "X" for mark in marks.split()), strict=True))
    for _, key, marks in GUIDE + EXTRA
}
CELLS = [(perm, role) for perm, role in itertools.product(TABLE, COLUMNS)]


def test_f13_the_code_has_exactly_the_guides_rows():
    assert set(PERMISSIONS) == set(TABLE)
    assert set(ROLES) == set(COLUMNS)


@pytest.mark.parametrize("permission,role", CELLS)
def test_f13_has_permission_cell(permission, role):
    assert has_permission(role, permission) is TABLE[permission][role]


def test_f13_unknown_permission_is_an_error():
    with pytest.raises(KeyError):
        has_permission("admin", "launch_rockets")


PAGE_ROUTES = {
    "create_region": "/admin/regions",
    "create_office": "/admin/offices",
    "customs_settings": "/admin/settings",
}
ACCOUNT_ROLE_OF = {
    "create_officer_account": "officer",
    "create_controller_account": "controller",
    "create_regional_manager_account": "regional_manager",
    "create_admin_account": "admin",
}


@pytest.mark.parametrize("permission,role", [(p, r) for p, r in CELLS if p in PAGE_ROUTES])
def test_f13_page_route_answers_as_the_cell_says(login_as, permission, role):
    response = login_as("be", role).get(PAGE_ROUTES[permission])
    assert response.status_code == (200 if TABLE[permission][role] else 403)


@pytest.mark.parametrize("permission,role", [(p, r) for p, r in CELLS if p in ACCOUNT_ROLE_OF])
def test_f13_creating_an_account_of_each_role_answers_as_the_cell_says(
    login_as, demo, permission, role
):
    be = demo.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))
    antwerp = demo.scalar(
        select(Region).where(Region.customs_id == be.id, Region.name == "Antwerp")
    )
    target_role = ACCOUNT_ROLE_OF[permission]
    email = f"new-{target_role}@customs-be.demo"
    response = login_as("be", role).post(
        "/admin/accounts/new",
        data={
            "full_name": "New account",
            "email": email,
            "role": target_role,
            "region_id": "" if target_role == "admin" else str(antwerp.id),
        },
    )
    created = demo.scalar(select(func.count()).select_from(Account).where(Account.email == email))
    if TABLE[permission][role]:
        assert response.status_code == 303
        assert created == 1
    else:
        assert response.status_code == 403
        assert created == 0


@pytest.mark.parametrize("role", COLUMNS)
def test_f13_side_navigation_shows_the_admin_screens_by_role(login_as, role):
    page = login_as("be", role).get("/").get_data(as_text=True)
    assert ('href="/admin/regions"' in page) is TABLE["create_region"][role]
    assert ('href="/admin/offices"' in page) is TABLE["create_office"][role]
    assert ('href="/admin/accounts"' in page) is TABLE["create_officer_account"][role]
    assert ('href="/admin/settings"' in page) is TABLE["customs_settings"][role]
