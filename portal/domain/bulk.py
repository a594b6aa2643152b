"""Bulk creation of regions, offices and accounts from Excel (F-16, Customs User Guide "Bulk
creation").

The flow per kind: `build_template` → `upload` (hostile-file guard, openpyxl read-only parse,
every row validated, stored as a cleaning session that replaces the admin's previous one) →
`save_rows` (edits from the browser, the whole session re-validated) → `begin_import` (a job
row) → `import_session` (run by the job: re-validates and creates every valid row in one
transaction, with audit events and, for accounts, invitation emails through the outbox).

Per-row rules and creation sit behind one small function per kind (`validate_region`,
`create_region`, …) so they can later be pointed at the shared organisation rules.
"""
from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError, outbox
from portal.domain import audit as audit_log
from portal.domain import jobs as domain_jobs
from portal.domain.permissions import ADMIN, ROLE_LABELS, ROLES
from portal.domain.xlsx_guard import HostileFile, Limits, check_xlsx
from portal.models import (
    Account,
    Country,
    CustomsAdministration,
    CustomsTerritory,
    Office,
    Region,
)
from portal.models.bulk import BulkRow, BulkSession
from portal.models.jobs import Job

KINDS = ("region", "office", "account")
YES_NO = ("Yes", "No")
_YES = {"yes", "y", "true", "1", "x", "oui", "ja"}
_NO = {"no", "n", "false", "0", "non", "nee", "nein"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    hint: str = ""
    list_name: str | None = None  # a column of the ListValues sheet offered as a drop-down
    max_len: int = 200
    width: int = 20
    decimal_range: tuple[int, int] | None = None


@dataclass(frozen=True)
class KindSpec:
    kind: str
    sheet: str
    title: str
    columns: tuple[Column, ...]
    unique: str  # the column unique within the file and the administration
    validate: Callable
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
    regions = {r.name.strip().lower(): r for r in
               session.scalars(select(Region).where(Region.customs_id == cid))}
    offices = {o.name.strip().lower(): o for o in
               session.scalars(select(Office).where(Office.customs_id == cid))}
    emails = set(session.scalars(select(func.lower(Account.email)).where(Account.customs_id == cid)))
    countries: dict[str, str] = {}
    for code, name in session.execute(select(Country.code, Country.name)):
        countries[code.lower()] = code
        countries[name.lower()] = code
    territory = session.get(CustomsTerritory, customs.territory_id)
    return Context(customs, territory, regions, offices, emails, countries)


# --- value parsing ------------------------------------------------------------------------


def _yes_no(value: str, default: bool) -> bool | None:
    v = value.strip().lower()
    if not v:
        return default
    if v in _YES:
        return True
    if v in _NO:
        return False
    return None


@lru_cache(maxsize=65_536)  # each address is checked for in-file uniqueness, then as a value
def _email(value: str) -> str | None:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _coordinate(value: str, low: int, high: int) -> Decimal | None | bool:
    """Decimal in range, None when blank, False when invalid."""
    v = value.strip().replace(",", ".")
    if not v:
        return None
    try:
        number = Decimal(v)
    except InvalidOperation:
        return False
    if not number.is_finite() or not (low <= number <= high):
        return False
    return number.quantize(Decimal("0.000001"))


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def _role(value: str) -> str | None:
    v = value.strip().lower()
    if v.startswith("customs "):
        v = v[len("customs "):]
    v = v.replace("-", " ").replace(" ", "_")
    if v in ROLES:
        return v
    for code, label in ROLE_LABELS.items():
        if label.lower().replace(" ", "_") == v:
            return code
    return None


def _common(spec: KindSpec, data: dict, errors: dict) -> None:
    for col in spec.columns:
        value = data.get(col.key, "")
        if col.required and not value.strip():
            errors[col.key] = f"{col.header} is required."
        elif len(value) > col.max_len:
            errors[col.key] = f"{col.header} is too long (at most {col.max_len} characters)."


def _unique(ctx: Context, spec: KindSpec, data: dict, errors: dict, existing: bool) -> None:
    key = data.get(spec.unique, "").strip().lower()
    header = spec.column(spec.unique).header
    if not key or spec.unique in errors:
        return
    if ctx.seen[key] > 1:
        errors[spec.unique] = f"This {header.lower()} appears more than once in the file."
    elif existing:
        errors[spec.unique] = f"This {header.lower()} already exists."


# --- regions -------------------------------------------------------------------------------


def validate_region(ctx: Context, data: dict) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    spec = SPECS["region"]
    _common(spec, data, errors)
    name = data.get("name", "").strip()
    _unique(ctx, spec, data, errors, name.lower() in ctx.regions)
    territory = data.get("territory", "").strip().lower()
    own = ctx.territory
    if territory and "territory" not in errors:
        if territory not in (own.code.lower(), own.name.lower(), _territory_label(own).lower()):
            errors["territory"] = (f"A region of {ctx.customs.name} belongs to its customs "
                                   f"territory: choose {_territory_label(own)}.")
    active = _yes_no(data.get("active", ""), True)
    if active is None:
        errors["active"] = "Active must be Yes or No."
    return errors, {"name": name, "territory_id": own.id, "active": active}


def create_region(session: Session, customs_id: int, values: dict) -> Region:
    region = Region(customs_id=customs_id, **values)
    session.add(region)
    return region


# --- offices -------------------------------------------------------------------------------

OFFICE_FLAGS = (("is_administrative", "administrative"), ("is_sea_port", "sea_port"),
                ("is_airport", "airport"), ("is_land_port", "land_port"))


def validate_office(ctx: Context, data: dict) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    spec = SPECS["office"]
    _common(spec, data, errors)
    name = data.get("name", "").strip()
    _unique(ctx, spec, data, errors, name.lower() in ctx.offices)
    region = None
    region_name = data.get("region", "").strip()
    if region_name and "region" not in errors:
        region = ctx.regions.get(region_name.lower())
        if region is None:
            errors["region"] = (f"There is no region named “{region_name}”. Create the regions "
                                "first, then download this template again.")
    country = None
    if data.get("country", "").strip():
        country = ctx.countries.get(data["country"].strip().lower())
        if country is None:
            errors["country"] = "Choose a country from the list (ISO code or name)."
    email = data.get("email", "").strip()
    if email and "email" not in errors:
        email = _email(email)
        if email is None:
            errors["email"] = "This is not a valid email address."
    lat = _coordinate(data.get("latitude", ""), -90, 90)
    lon = _coordinate(data.get("longitude", ""), -180, 180)
    lat_ok, lon_ok = isinstance(lat, Decimal), isinstance(lon, Decimal)
    if lat is False:
        errors["latitude"] = "Latitude must be a number between -90 and 90."
    if lon is False:
        errors["longitude"] = "Longitude must be a number between -180 and 180."
    if lat_ok and lon is None:
        errors["longitude"] = "Give the longitude as well as the latitude."
    if lon_ok and lat is None:
        errors["latitude"] = "Give the latitude as well as the longitude."
    flags = {}
    for attr, key in OFFICE_FLAGS:
        flag = _yes_no(data.get(key, ""), False)
        if flag is None:
            errors[key] = f"{spec.column(key).header} must be Yes or No."
        flags[attr] = bool(flag)
    timezone = data.get("timezone", "").strip() or None
    if timezone and timezone not in _timezones():
        errors["timezone"] = "Use a time zone name such as Europe/Brussels."
    active = _yes_no(data.get("active", ""), True)
    if active is None:
        errors["active"] = "Active must be Yes or No."
    values = {
        "region_id": region.id if region is not None else None, "name": name,
        "code": data.get("code", "").strip() or None, "street": data.get("street", "").strip(),
        "postal_code": data.get("postal_code", "").strip(), "city": data.get("city", "").strip(),
        "country_code": country or ctx.customs.country_code, "email": email or "",
        "phone": data.get("phone", "").strip(),
        "opening_hours": data.get("opening_hours", "").strip(),
        "latitude": lat if lat_ok else None, "longitude": lon if lon_ok else None, "timezone": timezone or ctx.customs.timezone,
        "active": active, **flags,
    }
    return errors, values


def create_office(session: Session, customs_id: int, values: dict) -> Office:
    office = Office(customs_id=customs_id, **values)
    session.add(office)
    return office


# --- accounts ------------------------------------------------------------------------------


def validate_account(ctx: Context, data: dict) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    spec = SPECS["account"]
    _common(spec, data, errors)
    email = data.get("email", "").strip()
    if email and "email" not in errors:
        normal = _email(email)
        if normal is None:
            errors["email"] = "This is not a valid email address."
        else:
            email = normal
    if "email" not in errors:
        _unique(ctx, spec, {"email": email}, errors, email in ctx.emails)
    role = None
    if data.get("role", "").strip():
        role = _role(data["role"])
        if role is None:
            errors["role"] = "Choose a role from the list: " + ", ".join(ROLE_LABELS.values()) + "."
    office = region = None
    office_name = data.get("office", "").strip()
    region_name = data.get("region", "").strip()
    if office_name:
        office = ctx.offices.get(office_name.lower())
        if office is None:
            errors["office"] = (f"There is no office named “{office_name}”. Create the offices "
                                "first, then download this template again.")
    if region_name:
        region = ctx.regions.get(region_name.lower())
        if region is None:
            errors["region"] = f"There is no region named “{region_name}”."
    if role == ADMIN:
        if region_name and "region" not in errors:
            errors["region"] = "An admin acts for the whole administration: leave Region empty."
    elif role is not None:
        if not office_name and "office" not in errors:
            errors["office"] = "Office is required for this role."
        if office is not None and region is not None and office.region_id != region.id:
            errors["region"] = f"The office “{office.name}” is not in the region “{region.name}”."
        if region is None and office is not None:
            region = office.region
    active = _yes_no(data.get("active", ""), True)
    if active is None:
        errors["active"] = "Active must be Yes or No."
    values = {
        "full_name": data.get("full_name", "").strip(), "email": email, "role": role,
        "office_id": office.id if office is not None else None,
        "region_id": region.id if (region is not None and role != ADMIN) else None,
        "active": active,
    }
    return errors, values


def create_account(session: Session, customs_id: int, values: dict) -> Account:
    """A new account without a password: the invitation link lets its owner set one (F-11)."""
    account = Account(customs_id=customs_id, password_hash=None, **values)
    session.add(account)
    return account


# --- the kinds -----------------------------------------------------------------------------

_ACTIVE = Column("active", "Active", hint="Yes or No (empty means Yes).", list_name="YesNo",
                 max_len=5, width=10)


def _flag(key: str, header: str) -> Column:
    return Column(key, header, hint="Yes or No (empty means No).", list_name="YesNo",
                  max_len=5, width=12)


SPECS: dict[str, KindSpec] = {
    "region": KindSpec("region", "CustomsRegions", "Customs regions", (
        Column("name", "Name", True, "A unique region name.", max_len=120, width=30),
        Column("territory", "Territory", True, "The customs territory the region belongs to.",
               list_name="Territories", max_len=120, width=30),
        _ACTIVE,
    ), "name", validate_region, create_region),
    "office": KindSpec("office", "CustomsOffices", "Customs offices", (
        Column("region", "Region", True, "An existing region (from the list).",
               list_name="Regions", max_len=120, width=26),
        Column("name", "Name", True, "A unique office name.", max_len=160, width=30),
        Column("code", "Code", hint="National office reference (optional).", max_len=32),
        Column("street", "Street", max_len=200, width=28),
        Column("postal_code", "Postal code", max_len=20, width=12),
        Column("city", "City", max_len=120),
        Column("country", "Country", hint="ISO code or name; empty means the administration's "
               "country.", list_name="Countries", max_len=120),
        Column("email", "Email", hint="Contact email of the office (optional).", max_len=254,
               width=28),
        Column("phone", "Phone", max_len=40),
        Column("opening_hours", "Opening hours", max_len=1000, width=28),
        Column("latitude", "Latitude", hint="Decimal degrees between -90 and 90 (e.g. 51.2602).",
               max_len=20, width=12, decimal_range=(-90, 90)),
        Column("longitude", "Longitude", hint="Decimal degrees between -180 and 180.",
               max_len=20, width=12, decimal_range=(-180, 180)),
        _flag("administrative", "Administrative"),
        _flag("sea_port", "Sea port"),
        _flag("airport", "Airport"),
        _flag("land_port", "Land port"),
        Column("timezone", "Time zone", hint="e.g. Europe/Brussels; empty means the "
               "administration's.", max_len=64),
        _ACTIVE,
    ), "name", validate_office, create_office),
    "account": KindSpec("account", "Accounts", "Accounts", (
        Column("full_name", "Full name", True, "Full name or badge number.", max_len=200,
               width=30),
        Column("email", "Email", True, "A unique email address: the invitation is sent there.",
               max_len=254, width=32),
        Column("role", "Role", True, "Admin, Regional manager, Controller or Officer.",
               list_name="Roles", max_len=40, width=18),
        Column("office", "Office", hint="The assigned office (required except for admins).",
               list_name="Offices", max_len=160, width=30),
        Column("region", "Region", hint="Optional: taken from the office when empty.",
               list_name="Regions", max_len=120, width=24),
        Column("active", "Active", hint="Yes or No (empty means Yes): whether the user may log "
               "in.", list_name="YesNo", max_len=5, width=10),
    ), "email", validate_account, create_account),
}


def spec_of(kind: str) -> KindSpec:
    if kind not in SPECS:
        raise DomainError("Unknown kind of object.")
    return SPECS[kind]


def _territory_label(t: CustomsTerritory) -> str:
    return f"{t.code} – {t.name}"


def validate_all(ctx: Context, spec: KindSpec, rows: list[dict]) -> list[tuple[dict, dict]]:
    """Validate every row, including uniqueness within the file."""
    if spec.kind == "account":
        keys = [(_email(r.get("email", "")) or r.get("email", "")).strip().lower() for r in rows]
    else:
        keys = [r.get(spec.unique, "").strip().lower() for r in rows]
    ctx.seen = Counter(k for k in keys if k)
    return [spec.validate(ctx, r) for r in rows]


# --- templates -----------------------------------------------------------------------------


def list_values(session: Session, customs: CustomsAdministration) -> dict[str, list[str]]:
    cid = customs.id
    territory = session.get(CustomsTerritory, customs.territory_id)
    return {
        "Territories": [_territory_label(territory)],
        "Regions": list(session.scalars(select(Region.name).where(Region.customs_id == cid)
                                        .order_by(Region.name))),
        "Offices": list(session.scalars(select(Office.name).where(Office.customs_id == cid)
                                        .order_by(Office.name))),
        "Roles": [ROLE_LABELS[r] for r in ROLES],
        "Countries": list(session.scalars(select(Country.code).order_by(Country.code))),
        "YesNo": list(YES_NO),
    }


def build_template(session: Session, customs: CustomsAdministration, kind: str,
                   max_rows: int) -> bytes:
    """The .xlsx to fill: the kind's sheet with drop-downs and input hints on every fillable
    row up to `max_rows`, and a protected ListValues sheet of the current reference values."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = spec_of(kind)
    values = list_values(session, customs)
    wb = Workbook()
    ws = wb.active
    ws.title = spec.sheet
    lv = wb.create_sheet("ListValues")
    list_ranges = {}
    for idx, (name, items) in enumerate(values.items(), start=1):
        letter = get_column_letter(idx)
        lv.cell(row=1, column=idx, value=name).font = Font(bold=True)
        for r, item in enumerate(items, start=2):
            # names typed by users: text, never a formula (openpyxl reads "=…" as one)
            lv.cell(row=r, column=idx, value=item).data_type = "s"
        list_ranges[name] = f"ListValues!${letter}$2:${letter}${max(len(items), 1) + 1}"
        lv.column_dimensions[letter].width = 28
    lv.protection.sheet = True
    last = max_rows + 1
    for idx, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(idx)
        cell = ws.cell(row=1, column=idx, value=col.header + (" *" if col.required else ""))
        cell.font = Font(bold=True)
        ws.column_dimensions[letter].width = col.width
        hint = col.hint or ("Required." if col.required else "Optional.")
        if col.list_name:
            dv = DataValidation(type="list", formula1=list_ranges[col.list_name],
                                allow_blank=not col.required)
            dv.error = f"Choose a value from the list ({col.list_name} in ListValues)."
            dv.errorTitle = col.header
            dv.showErrorMessage = col.list_name in ("YesNo", "Roles", "Territories")
        elif col.decimal_range:
            low, high = col.decimal_range
            dv = DataValidation(type="decimal", operator="between", formula1=str(low),
                                formula2=str(high), allow_blank=True)
            dv.error = f"{col.header} must be between {low} and {high}."
            dv.errorTitle = col.header
            dv.showErrorMessage = True
        else:
            dv = DataValidation(type="textLength", operator="lessThanOrEqual",
                                formula1=str(col.max_len), allow_blank=not col.required)
            dv.error = f"At most {col.max_len} characters."
            dv.showErrorMessage = True
        dv.promptTitle = col.header[:32]
        dv.prompt = hint[:255]
        dv.showInputMessage = True
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- upload --------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _header_key(text: str) -> str:
    return text.strip().rstrip("*").strip().lower()


def parse_workbook(data: bytes, spec: KindSpec, limits: Limits) -> list[tuple[int, dict]]:
    """(sheet row number, {column key: text}) of every non-empty row; read-only, streaming."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 — any parse failure is a refused file
        raise HostileFile("This file is not a valid Excel workbook (.xlsx).") from exc
    try:
        if spec.sheet not in wb.sheetnames:
            raise DomainError(f"This file has no sheet named “{spec.sheet}”. Use the "
                              f"{spec.title.lower()} template.", field="file")
        ws = wb[spec.sheet]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise DomainError("The sheet is empty.", field="file")
        by_header = {c.header.lower(): c.key for c in spec.columns}
        positions: dict[int, str] = {}
        for i, h in enumerate(header):
            key = by_header.get(_header_key(_text(h)))
            if key:
                positions[i] = key
        missing = [c.header for c in spec.columns if c.required and c.key not in positions.values()]
        if missing:
            raise DomainError("The sheet has no column " + ", ".join(f"“{m}”" for m in missing)
                              + ". Download the template again.", field="file")
        out: list[tuple[int, dict]] = []
        for number, row in enumerate(rows, start=2):
            if number - 1 > limits.max_rows:
                raise HostileFile(f"This file has too many rows: at most {limits.max_rows:,} "
                                  "rows can be uploaded at once.")
            if len(row) > limits.max_columns:
                raise HostileFile(f"This file has too many columns: at most "
                                  f"{limits.max_columns} are allowed.")
            record = {key: "" for key in positions.values()}
            for i, key in positions.items():
                if i < len(row):
                    text = _text(row[i])
                    if len(text) > limits.max_cell_chars:
                        raise HostileFile("This file is refused: a cell holds more than "
                                          f"{limits.max_cell_chars:,} characters.")
                    if text.startswith("="):  # also after spaces the byte scan lets by
                        raise HostileFile("This file is refused: a cell starts with \"=\" (a "
                                          "formula). Remove it or type the value without the "
                                          "\"=\".")
                    record[key] = text
            if any(record.values()):
                out.append((number, record))
    finally:
        wb.close()
    if not out:
        raise DomainError("The sheet has no rows to import.", field="file")
    return out


def current_session(session: Session, customs_id: int, account_id: int,
                    kind: str) -> BulkSession | None:
    return session.scalar(select(BulkSession).where(
        BulkSession.customs_id == customs_id, BulkSession.account_id == account_id,
        BulkSession.kind == kind))


def upload(session: Session, customs: CustomsAdministration, account: Account, kind: str,
           filename: str, data: bytes, limits: Limits | None = None) -> BulkSession:
    """Check, parse and validate an uploaded file into a new cleaning session, replacing the
    admin's previous one of this kind. A refused file stores nothing."""
    limits = limits or Limits()
    spec = spec_of(kind)
    check_xlsx(data, limits)
    parsed = parse_workbook(data, spec, limits)
    old = current_session(session, customs.id, account.id, kind)
    if old is not None:
        if old.status == "importing":
            raise Conflict("An import of this kind is running. Wait until it ends, then upload.")
        session.execute(delete(BulkRow).where(BulkRow.bulk_session_id == old.id))
        session.delete(old)
        session.flush()
    ctx = load_context(session, customs)
    results = validate_all(ctx, spec, [d for _, d in parsed])
    bs = BulkSession(customs_id=customs.id, account_id=account.id, kind=kind,
                     filename=(filename or "upload.xlsx")[:255], status="cleaning",
                     row_count=len(parsed), error_count=sum(1 for e, _ in results if e),
                     created_at=now_utc(), updated_at=now_utc())
    session.add(bs)
    session.flush()
    session.execute(BulkRow.__table__.insert(), [
        {"bulk_session_id": bs.id, "row_number": number, "data": data_, "errors": errs or None,
         "has_errors": bool(errs), "imported_id": None}
        for (number, data_), (errs, _) in zip(parsed, results, strict=True)
    ])
    return bs


# --- cleaning ------------------------------------------------------------------------------


def page_of_rows(session: Session, bs: BulkSession, page: int, per_page: int = 50) -> list[BulkRow]:
    """Rows with errors first, then the rest, imported rows last; in sheet order."""
    return list(session.scalars(
        select(BulkRow).where(BulkRow.bulk_session_id == bs.id)
        .order_by(BulkRow.imported_id.is_not(None), BulkRow.has_errors.desc(), BulkRow.row_number)
        .offset(max(page - 1, 0) * per_page).limit(per_page)))


def revalidate(session: Session, bs: BulkSession, customs: CustomsAdministration) -> None:
    """Validate every row still to import again (uniqueness depends on the other rows)."""
    spec = spec_of(bs.kind)
    rows = list(session.execute(
        select(BulkRow.id, BulkRow.data, BulkRow.errors)
        .where(BulkRow.bulk_session_id == bs.id, BulkRow.imported_id.is_(None))
        .order_by(BulkRow.row_number)))
    ctx = load_context(session, customs)
    results = validate_all(ctx, spec, [r.data for r in rows])
    changes = [{"id": r.id, "errors": errs or None, "has_errors": bool(errs)}
               for r, (errs, _) in zip(rows, results, strict=True) if (r.errors or {}) != errs]
    if changes:
        session.execute(update(BulkRow), changes)
    bs.error_count = sum(1 for errs, _ in results if errs)
    bs.row_count = session.scalar(select(func.count()).select_from(BulkRow)
                                  .where(BulkRow.bulk_session_id == bs.id))
    bs.updated_at = now_utc()
    session.flush()


def save_rows(session: Session, bs: BulkSession, customs: CustomsAdministration,
              edits: dict[int, dict], removed: set[int] | None = None) -> None:
    """Store the values edited in the browser ("Save changes") and re-validate the session.
    Only rows of this session that are not imported yet can change."""
    if bs.status != "cleaning":
        raise Conflict("The import is running: wait until it ends to change rows.")
    spec = spec_of(bs.kind)
    keys = {c.key: c for c in spec.columns}
    ids = set(edits) | set(removed or ())
    rows = {r.id: r for r in session.scalars(
        select(BulkRow).where(BulkRow.bulk_session_id == bs.id, BulkRow.id.in_(ids),
                              BulkRow.imported_id.is_(None)))} if ids else {}
    for row_id in removed or ():
        if row_id in rows:
            session.delete(rows.pop(row_id))
    for row_id, values in edits.items():
        row = rows.get(row_id)
        if row is None:
            continue
        data = dict(row.data)
        for key, value in values.items():
            if key in keys:
                data[key] = (value or "").strip()[: keys[key].max_len + 1]
        row.data = data
    session.flush()
    revalidate(session, bs, customs)


# --- import --------------------------------------------------------------------------------


def begin_import(session: Session, bs: BulkSession, account: Account) -> Job:
    """Claim the session for one import (a double click starts one job) and create its job."""
    if bs.row_count - bs.imported_count <= 0:
        raise DomainError("There is nothing left to import in this session.")
    job = domain_jobs.create_job(session, f"bulk_{bs.kind}_import", customs_id=bs.customs_id,
                                 account_id=account.id, params={"bulk_session_id": bs.id})
    claimed = session.execute(
        update(BulkSession).where(BulkSession.id == bs.id, BulkSession.status == "cleaning")
        .values(status="importing", job_id=job.id)
    ).rowcount
    if claimed != 1:
        raise Conflict("An import of this session is already running.")
    session.refresh(bs)
    return job


def import_session(session: Session, bulk_session_id: int,
                   progress: Callable[..., None] = lambda *a, **k: None) -> tuple[dict, str]:
    """Create every valid row of the session in the caller's transaction (the job commits it
    together with its 'done' state). Rows with errors are left in the session and listed in
    the report. Running it again creates nothing twice: imported rows are marked."""
    bs = session.get(BulkSession, bulk_session_id)
    if bs is None:
        raise DomainError("The cleaning session no longer exists.")
    customs = session.get(CustomsAdministration, bs.customs_id)
    owner = session.get(Account, bs.account_id)
    spec = spec_of(bs.kind)
    rows = list(session.scalars(select(BulkRow).where(BulkRow.bulk_session_id == bs.id,
                                                      BulkRow.imported_id.is_(None))
                                .order_by(BulkRow.row_number)))
    total = len(rows)
    progress(0, total, "Checking the rows again…", force=True)
    ctx = load_context(session, customs)
    results = validate_all(ctx, spec, [r.data for r in rows])
    created: list[tuple[BulkRow, object]] = []
    skipped = []
    for i, (row, (errs, values)) in enumerate(zip(rows, results, strict=True), start=1):
        if errs:
            row.errors, row.has_errors = errs, True
            skipped.append({"row": row.row_number, "errors": errs})
            continue
        row.errors, row.has_errors = None, False
        created.append((row, spec.create(session, customs.id, values)))
        if i % 500 == 0:
            session.flush()
            progress(i, total, f"Created {len(created):,} of {total:,}…")
    session.flush()
    actor = {"actor_type": "account", "actor_id": owner.id if owner else None,
             "actor_label": owner.email if owner else "", "customs_id": customs.id}
    for row, obj in created:
        row.imported_id = obj.id
        audit_log.record(session, f"{spec.kind}.created", object_type=spec.kind,
                         object_id=obj.id, data={"via": "bulk", "row": row.row_number}, **actor)
        if spec.kind == "account" and obj.active:
            outbox.add_account_invitation(session, obj.id, obj.email, customs.id,
                                          customs.invitation_days)
    audit_log.record(session, "bulk.imported", object_type="bulk_session", object_id=bs.id,
                     data={"kind": spec.kind, "created": len(created), "skipped": len(skipped)},
                     **actor)
    bs.imported_count += len(created)
    bs.error_count = len(skipped)
    bs.status = "cleaning"
    bs.updated_at = now_utc()
    session.flush()
    progress(total, total, "Saving…", force=True)
    noun = spec.title.lower()
    message = f"{len(created):,} {noun} created"
    message += f", {len(skipped):,} rows with errors not imported." if skipped else "."
    return {"kind": spec.kind, "created": len(created), "skipped_count": len(skipped),
            "skipped": skipped[:200]}, message


def report_rows(session: Session, bs: BulkSession):
    """Every row of the session in sheet order, streamed (for the result report file)."""
    return session.scalars(select(BulkRow).where(BulkRow.bulk_session_id == bs.id)
                           .order_by(BulkRow.row_number).execution_options(yield_per=1000))


def safe_cell(text: str) -> str:
    """A value written back into a spreadsheet never becomes a formula there."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def release_after_failure(session: Session, job_id: int) -> None:
    """A failed import leaves the session as it was, ready to be fixed and imported again."""
    session.execute(update(BulkSession).where(BulkSession.job_id == job_id,
                                              BulkSession.status == "importing")
                    .values(status="cleaning"))
