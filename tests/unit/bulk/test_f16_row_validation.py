"""F-16 every row is validated on upload: each rule with its message, in the user's words."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.domain import DomainError, bulk
from portal.models import CustomsAdministration
from portal.models.bulk import BulkRow
from tests.unit.bulk.xlsx_builders import workbook

HEADERS = {kind: [c.header for c in spec.columns] for kind, spec in bulk.SPECS.items()}


@pytest.fixture
def be(demo):
    return demo.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))


@pytest.fixture
def upload(demo, be, account_of):
    admin = account_of("be", "admin")

    def run(kind: str, rows: list[dict]) -> list[dict]:
        spec = bulk.SPECS[kind]
        data = workbook(
            spec.sheet, HEADERS[kind], [[r.get(c.key) for c in spec.columns] for r in rows]
        )
        bs = bulk.upload(demo, be, admin, kind, "t.xlsx", data)
        demo.commit()
        found = demo.scalars(
            select(BulkRow).where(BulkRow.bulk_session_id == bs.id).order_by(BulkRow.row_number)
        )
        return [r.errors or {} for r in found]

    return run


REGION = {"name": "Flanders", "territory": "EU", "active": "Yes"}
OFFICE = {"region": "Antwerp", "name": "Ghent Port", "latitude": "51.05", "longitude": "3.73"}
ACCOUNT = {
    "full_name": "Ann",
    "email": "ann@example.org",
    "role": "Officer",
    "office": "Antwerp Port",
}


@pytest.mark.parametrize(
    "kind,row,field,message",
    [
        ("region", {**REGION, "name": ""}, "name", "Name is required."),
        ("region", {**REGION, "name": "x" * 121}, "name", "too long (at most 120"),
        ("region", {**REGION, "name": "antwerp"}, "name", "This name already exists."),
        (
            "region",
            {**REGION, "territory": "CH"},
            "territory",
            "belongs to its customs territory: choose EU",
        ),
        ("region", {**REGION, "territory": ""}, "territory", "Territory is required."),
        ("region", {**REGION, "active": "maybe"}, "active", "Active must be Yes or No."),
        (
            "office",
            {**OFFICE, "region": "Atlantis"},
            "region",
            "There is no region named “Atlantis”",
        ),
        ("office", {**OFFICE, "region": ""}, "region", "Region is required."),
        ("office", {**OFFICE, "name": "Antwerp Port"}, "name", "This name already exists."),
        ("office", {**OFFICE, "email": "not-an-email"}, "email", "Enter a valid email address"),
        ("office", {**OFFICE, "latitude": "91"}, "latitude", "between -90 and 90"),
        ("office", {**OFFICE, "longitude": "-181"}, "longitude", "between -180 and 180"),
        ("office", {**OFFICE, "latitude": "north"}, "latitude", "must be a number, like 50.901"),
        ("office", {**OFFICE, "longitude": ""}, "longitude", "Enter the longitude too"),
        ("office", {**OFFICE, "phone": "call me"}, "phone", "digits, spaces and + ( ) - only"),
        ("office", {**OFFICE, "sea_port": "often"}, "sea_port", "Sea port must be Yes or No."),
        ("office", {**OFFICE, "airport": "2"}, "airport", "Airport must be Yes or No."),
        ("office", {**OFFICE, "country": "Narnia"}, "country", "Choose a country from the list"),
        ("office", {**OFFICE, "timezone": "Mars/Olympus"}, "timezone", "Choose a time zone"),
        ("account", {**ACCOUNT, "email": "ann@@example"}, "email", "Enter a valid email address"),
        (
            "account",
            {**ACCOUNT, "email": "Officer@Customs-BE.demo"},
            "email",
            "This email already exists.",
        ),
        ("account", {**ACCOUNT, "full_name": ""}, "full_name", "Full name is required."),
        ("account", {**ACCOUNT, "role": "Boss"}, "role", "Choose a role from the list"),
        (
            "account",
            {**ACCOUNT, "office": "Nowhere"},
            "office",
            "There is no office named “Nowhere”",
        ),
        ("account", {**ACCOUNT, "office": ""}, "office", "Office is required for this role."),
        ("account", {**ACCOUNT, "region": "Brussels"}, "region", "is not in the region “Brussels”"),
        (
            "account",
            {**ACCOUNT, "region": "Atlantis"},
            "region",
            "There is no region named “Atlantis”",
        ),
        (
            "account",
            {**ACCOUNT, "role": "Admin", "region": "Antwerp"},
            "region",
            "leave Region empty",
        ),
        ("account", {**ACCOUNT, "active": "sometimes"}, "active", "Active must be Yes or No."),
    ],
)
def test_f16_each_validation_error_in_the_forms_words(upload, kind, row, field, message):
    errors = upload(kind, [row])[0]
    assert field in errors, errors
    assert message in errors[field]


@pytest.mark.parametrize("kind,row", [("region", REGION), ("office", OFFICE), ("account", ACCOUNT)])
def test_f16_valid_rows_have_no_errors(upload, kind, row):
    assert upload(kind, [row]) == [{}]


def test_f16_duplicates_within_the_file_are_flagged_on_every_copy(upload):
    errors = upload(
        "account",
        [
            ACCOUNT,
            {**ACCOUNT, "email": "ANN@example.org"},
            {**ACCOUNT, "email": "other@example.org"},
        ],
    )
    assert "appears more than once" in errors[0]["email"]
    assert "appears more than once" in errors[1]["email"]
    assert errors[2] == {}


def test_f16_region_names_are_unique_within_the_file(upload):
    errors = upload("region", [REGION, {**REGION, "name": " flanders "}])
    assert all("appears more than once" in e["name"] for e in errors)


def test_f16_references_and_values_are_case_insensitive(upload):
    assert upload(
        "account",
        [
            {
                **ACCOUNT,
                "office": "antwerp port",
                "role": "customs officer",
                "region": "ANTWERP",
                "active": "no",
            }
        ],
    ) == [{}]


def test_f16_empty_rows_are_skipped_and_an_empty_sheet_is_refused(upload, demo, be, account_of):
    assert len(upload("region", [REGION, {}, {**REGION, "name": "Limburg"}])) == 2
    data = workbook("CustomsRegions", HEADERS["region"], [])
    with pytest.raises(DomainError, match="no rows to import"):
        bulk.upload(demo, be, account_of("be", "admin"), "region", "e.xlsx", data)


def test_f16_a_sheet_without_a_required_column_is_refused(demo, be, account_of):
    data = workbook("Accounts", ["Full name", "Role"], [["Ann", "Officer"]])
    with pytest.raises(DomainError, match="no column “Email”"):
        bulk.upload(demo, be, account_of("be", "admin"), "account", "a.xlsx", data)


def test_f16_existing_data_of_another_administration_does_not_count(upload, demo):
    # the FR administration has a region named Normandie; BE may use the name
    assert upload("region", [{**REGION, "name": "Normandie"}]) == [{}]


def test_f16_import_creates_nothing_when_the_transaction_fails(demo, be, account_of, monkeypatch):
    """All valid rows in one transaction: a failure half-way leaves nothing created."""
    admin = account_of("be", "admin")
    spec = bulk.SPECS["region"]
    rows = [[f"Region {i}", "EU", "Yes"] for i in range(5)]
    bs = bulk.upload(
        demo, be, admin, "region", "r.xlsx", workbook(spec.sheet, HEADERS["region"], rows)
    )
    demo.commit()
    calls = []

    def failing(session, customs_id, values):
        calls.append(values["name"])
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return bulk.create_region(session, customs_id, values)

    monkeypatch.setitem(
        bulk.SPECS, "region", spec.__class__(**{**spec.__dict__, "create": failing})
    )
    with pytest.raises(RuntimeError):
        bulk.import_session(demo, bs.id)
    demo.rollback()
    from portal.models import Region

    assert demo.scalar(select(Region).where(Region.name.like("Region %"))) is None
