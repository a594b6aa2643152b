"""The organisation domain (F-13 … F-15, R-12, R-16) without the web layer."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.domain import Conflict, DomainError, NotFound, PermissionDenied
from portal.domain import organisation as org
from portal.domain.cells import safe_cell
from portal.domain.paging import paginate
from portal.domain.sessions import active_sessions, open_session
from portal.models import Account, CustomsAdministration, Office, Region


@pytest.fixture
def be(demo):
    return demo.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))


@pytest.fixture
def named(demo, be):
    def get(model, name):
        column = Account.email if model is Account else model.name
        return demo.scalar(select(model).where(model.customs_id == be.id, column == name))

    return get


def test_f15_region_name_unique_case_insensitively(demo, be):
    with pytest.raises(DomainError) as e:
        org.create_region(demo, be, name="  ANTWERP ")
    assert (e.value.field, e.value.message) == ("name", "A region called “ANTWERP” already exists.")
    region = org.create_region(demo, be, name="  Liège ")
    assert (region.name, region.territory_id, region.active) == ("Liège", be.territory_id, True)


def test_f15_update_region_returns_the_changes(demo, be, named):
    region = named(Region, "Brussels")
    assert (
        org.update_region(
            demo, be, region, name="Brussels", territory_id=be.territory_id, active=True
        )
        == {}
    )
    assert org.update_region(demo, be, region, name="Brussel", territory_id=None, active=False) == {
        "name": ("Brussels", "Brussel"),
        "active": (True, False),
    }


def test_f15_update_region_of_another_administration_is_not_found(demo, be):
    fr = demo.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "fr"))
    normandie = demo.scalar(select(Region).where(Region.customs_id == fr.id))
    with pytest.raises(NotFound):
        org.update_region(demo, be, normandie, name="x", territory_id=None, active=True)


def test_r12_delete_region_message_counts_what_is_left(demo, be, named):
    with pytest.raises(Conflict) as e:
        org.delete_region(demo, named(Region, "Brussels"))
    assert e.value.message == "This region still has 1 office: move or delete them first."
    demo.delete(named(Office, "Brussels Airport"))
    demo.flush()
    org.delete_region(demo, named(Region, "Brussels"))
    assert named(Region, "Brussels") is None


@pytest.mark.parametrize(
    "lat,lon,field",
    [
        ("90.0000001", "0", "latitude"),
        ("-91", "0", "latitude"),
        ("0", "-180.5", "longitude"),
        ("NaN", "0", "latitude"),
        ("Infinity", "0", "latitude"),
        ("1", "", "longitude"),
        ("", "1", "latitude"),
    ],
)
def test_f15_coordinates_are_refused_out_of_range(demo, account_of, named, lat, lon, field):
    admin = demo.merge(account_of("be", "admin"))
    with pytest.raises(DomainError) as e:
        org.create_office(
            demo,
            admin,
            {
                "region_id": named(Region, "Antwerp").id,
                "name": "X",
                "latitude": lat,
                "longitude": lon,
            },
        )
    assert e.value.field == field


def test_f15_coordinates_accept_a_decimal_comma_and_are_rounded(demo, account_of, named):
    admin = demo.merge(account_of("be", "admin"))
    office = org.create_office(
        demo,
        admin,
        {
            "region_id": named(Region, "Antwerp").id,
            "name": "X",
            "latitude": "-90",
            "longitude": "4,12345678",
        },
    )
    assert (office.latitude, office.longitude) == (Decimal("-90.000000"), Decimal("4.123457"))


def test_r16_region_bound_roles_need_a_region_and_an_office_of_it(demo, account_of, named):
    admin = demo.merge(account_of("be", "admin"))
    base = {"full_name": "A", "email": "a@customs-be.demo"}
    for role in ("officer", "controller", "regional_manager"):
        with pytest.raises(DomainError) as e:
            org.create_account(demo, admin, {**base, "role": role})
        assert (e.value.field, e.value.message) == ("region_id", "Choose a region.")
    with pytest.raises(DomainError) as e:
        org.create_account(
            demo,
            admin,
            {
                **base,
                "role": "officer",
                "region_id": named(Region, "Antwerp").id,
                "office_id": named(Office, "Brussels Airport").id,
            },
        )
    assert e.value.field == "office_id"
    account = org.create_account(
        demo, admin, {**base, "role": "admin", "office_id": named(Office, "Brussels Airport").id}
    )
    assert account.region_id is None and account.password_hash is None


def test_f13_regional_manager_scope(demo, account_of, named):
    rm = demo.merge(account_of("be", "regional_manager"))
    with pytest.raises(NotFound):
        org.get_account(demo, rm, account_of("be", "admin").id)
    with pytest.raises(NotFound):
        org.get_office(demo, rm, named(Office, "Brussels Airport").id)
    with pytest.raises(PermissionDenied):
        org.create_account(
            demo, rm, {"full_name": "A", "email": "a@customs-be.demo", "role": "admin"}
        )
    assert [r.name for r in org.regions_for(demo, rm)] == ["Antwerp"]
    assert {o.name for o in org.offices_for(demo, rm)} == {
        "Antwerp Port",
        "Antwerp Administrative Centre",
    }
    listed = {a.email for a in demo.scalars(org.account_list(rm))}
    assert listed == {
        "regional-manager@customs-be.demo",
        "controller@customs-be.demo",
        "officer@customs-be.demo",
    }
    with pytest.raises(NotFound):
        org.get_account(demo, rm, "not-a-number")


def test_f14_disabling_revokes_every_session(demo, account_of):
    admin = demo.merge(account_of("be", "admin"))
    officer = demo.merge(account_of("be", "officer"))
    open_session(demo, officer)
    open_session(demo, officer)
    assert len(active_sessions(demo, officer.id)) == 2
    assert org.set_account_active(demo, admin, officer, False) == {"active": (True, False)}
    assert active_sessions(demo, officer.id) == []
    with pytest.raises(DomainError, match="your own account"):
        org.set_account_active(demo, admin, admin, False)


def test_f14_search_treats_like_wildcards_literally(demo, account_of):
    admin = demo.merge(account_of("be", "admin"))
    assert list(demo.scalars(org.account_list(admin, q="%"))) == []
    assert list(demo.scalars(org.account_list(admin, q="_"))) == []
    assert [a.email for a in demo.scalars(org.account_list(admin, q="-MANAGER@"))] == [
        "regional-manager@customs-be.demo"
    ]


def test_pagination_clamps_the_page(demo, be):
    page = paginate(demo, org.region_list(be.id), page=99, per_page=1)
    assert (page.page, page.pages, page.total, page.first_index, page.last_index) == (2, 2, 2, 2, 2)
    empty = paginate(demo, org.region_list(be.id, q="nothing"), page=3)
    assert (empty.page, empty.pages, empty.first_index, empty.items) == (1, 1, 0, [])


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("Ana", "Ana"),
        (12, 12),
        (None, None),
    ],
)
def test_f14_export_neutralises_formula_text_and_control_starts(value, expected):
    assert safe_cell(value) == expected


def test_jsonable_changes():
    changes = {"latitude": (None, Decimal("1.5")), "at": (dt.datetime(2026, 1, 2, 3, 4), None)}
    assert org.jsonable(changes) == {
        "before": {"latitude": None, "at": "2026-01-02T03:04:00"},
        "after": {"latitude": "1.5", "at": None},
    }


@pytest.mark.parametrize("days", [0, 31, "x", None])
def test_f11_invitation_days_between_1_and_30(demo, be, days):
    with pytest.raises(DomainError) as e:
        org.update_settings(demo, be, mfa_mandatory=True, invitation_days=days)
    assert e.value.field == "invitation_days"
    assert (be.mfa_mandatory, be.invitation_days) == (False, 14)
