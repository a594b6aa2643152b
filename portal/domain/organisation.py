"""An administration's organisation: regions, offices and customs accounts (F-13 … F-15, R-16).

Plain functions over a session, no Flask. Every function takes the administration id (or the
acting account, which carries it) and only ever touches rows of that administration. Refusals
raise DomainError naming the form field they belong to (R-12); NotFound means "not visible to
this actor" (another administration, another region) and becomes a 404.

The create/update functions return the changed fields as {field: (before, after)}, ready for
the audit trail; they flush but never commit (the caller commits with its audit event).
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain import Conflict, DomainError, NotFound, PermissionDenied
from portal.domain.identity import TOKEN_PURPOSES
from portal.domain.permissions import (
    ACCOUNT_ROLE_PERMISSION,
    ADMIN,
    ROLE_LABELS,
    ROLES,
    has_permission,
    is_region_bound,
    manageable_roles,
)
from portal.domain.sessions import revoke_all_sessions
from portal.domain.tokens import end_tokens
from portal.models import (
    Account,
    Country,
    CustomsAdministration,
    CustomsTerritory,
    Office,
    Region,
)

Changes = dict[str, tuple[Any, Any]]

OFFICE_TYPES = {
    "is_administrative": "Administrative",
    "is_sea_port": "Sea port",
    "is_airport": "Airport",
    "is_land_port": "Land port",
}
INVITATION_DAYS_RANGE = (1, 30)


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def timezones() -> tuple[str, ...]:
    """The IANA zones offered for an office (reading them walks the tz database: done once)."""
    return tuple(sorted(z for z in _known_zones()
                        if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))))


# ---------------------------------------------------------------- helpers


def _text(value: Any, field: str, label: str, *, required: bool = False, max_len: int) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        raise DomainError(f"Enter the {label}.", field)
    if len(value) > max_len:
        raise DomainError(f"The {label} can have at most {max_len} characters.", field)
    return value


def _email(value: Any, field: str = "email", *, required: bool = True) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            raise DomainError("Enter an email address.", field)
        return ""
    if len(value) > 254:
        raise DomainError("The email address can have at most 254 characters.", field)
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError("Enter a valid email address, like name@customs.example.", field) from None
    return info.normalized.lower()


def _coordinate(value: Any, field: str, label: str, limit: int) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise DomainError(f"The {label} must be a number, like 50.901.", field) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise DomainError(f"The {label} must be between -{limit} and {limit}.", field)
    return number.quantize(Decimal("0.000001"))


def _apply(obj: Any, values: dict[str, Any]) -> Changes:
    changes: Changes = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = (old, new)
            setattr(obj, name, new)
    return changes


def _flush(session: Session, message: str, field: str | None = None) -> None:
    """Flush in a savepoint so a unique-constraint race becomes a readable refusal."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(message, field) from None


def _delete(session: Session, obj: Any, message: str) -> None:
    try:
        with session.begin_nested():
            session.delete(obj)
            session.flush()
    except IntegrityError:
        raise Conflict(message) from None


class Invalid(DomainError):
    """Several fields refused at once: `errors` maps each field to its message (the first one is
    also `field`/`message`), so a form shows every error in one round trip."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field, code="invalid")
        self.errors = dict(errors)


class _Fields:
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


def jsonable(changes: Changes) -> dict[str, dict[str, Any]]:
    """{field: (before, after)} → {"before": {...}, "after": {...}} with JSON-safe values."""

    def safe(v: Any) -> Any:
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, dt.datetime | dt.date):
            return v.isoformat()
        return v

    return {"before": {k: safe(b) for k, (b, _) in changes.items()},
            "after": {k: safe(a) for k, (_, a) in changes.items()}}


def _escape_like(term: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", term)


def _search(term: str | None, *columns) -> Any | None:
    term = (term or "").strip()
    if not term:
        return None
    pattern = f"%{_escape_like(term.lower())}%"
    return or_(*(func.lower(c).like(pattern, escape="\\") for c in columns))


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


def paginate(session: Session, stmt: Select, page: int, per_page: int = 20) -> Page:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


# ---------------------------------------------------------------- scope (F-13, R-16)


def _is_regional(actor: Account) -> bool:
    """A regional manager acts only within their region (an admin everywhere)."""
    return actor.role != ADMIN and is_region_bound(actor.role)


def region_of(session: Session, customs_id: int, region_id: Any, *, field: str = "region_id",
              required: bool = True) -> Region | None:
    """The region `region_id` of this administration, or a refusal on `field`."""
    if region_id in (None, ""):
        if required:
            raise DomainError("Choose a region.", field)
        return None
    try:
        region_id = int(region_id)
    except (TypeError, ValueError):
        raise DomainError("Choose a region from the list.", field) from None
    region = session.scalar(select(Region).where(Region.id == region_id,
                                                 Region.customs_id == customs_id))
    if region is None:
        raise DomainError("Choose a region from the list.", field)
    return region


def office_of(session: Session, customs_id: int, office_id: Any, *, field: str = "office_id",
              required: bool = False) -> Office | None:
    if office_id in (None, ""):
        if required:
            raise DomainError("Choose an office.", field)
        return None
    try:
        office_id = int(office_id)
    except (TypeError, ValueError):
        raise DomainError("Choose an office from the list.", field) from None
    office = session.scalar(select(Office).where(Office.id == office_id,
                                                 Office.customs_id == customs_id))
    if office is None:
        raise DomainError("Choose an office from the list.", field)
    return office


def regions_for(session: Session, actor: Account) -> list[Region]:
    """The regions the actor may pick (a regional manager: only their own)."""
    stmt = select(Region).where(Region.customs_id == actor.customs_id).order_by(Region.name)
    if _is_regional(actor):
        stmt = stmt.where(Region.id == actor.region_id)
    return list(session.scalars(stmt))


def office_within_reach(actor: Account, office: Office | None) -> bool:
    """Whether `office` is an active office among offices_for(actor) (R-16)."""
    return (office is not None and office.active and office.customs_id == actor.customs_id
            and (not _is_regional(actor) or office.region_id == actor.region_id))


def offices_within_reach(actor: Account) -> list:
    """The same as SQL conditions on Office, to join in a query."""
    cond = [Office.active.is_(True), Office.customs_id == actor.customs_id]
    if _is_regional(actor):
        cond.append(Office.region_id == actor.region_id)
    return cond


def offices_for(session: Session, actor: Account) -> list[Office]:
    stmt = (select(Office).where(Office.customs_id == actor.customs_id)
            .order_by(Office.name))
    if _is_regional(actor):
        stmt = stmt.where(Office.region_id == actor.region_id)
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- regions (F-15)


def region_list(customs_id: int, *, q: str | None = None, active: bool | None = None) -> Select:
    stmt = select(Region).where(Region.customs_id == customs_id)
    cond = _search(q, Region.name)
    if cond is not None:
        stmt = stmt.where(cond)
    if active is not None:
        stmt = stmt.where(Region.active.is_(active))
    return stmt.order_by(func.lower(Region.name), Region.id)


def get_region(session: Session, actor: Account, region_id: Any) -> Region:
    try:
        region = region_of(session, actor.customs_id, region_id)
    except DomainError:
        raise NotFound() from None
    if _is_regional(actor) and region.id != actor.region_id:
        raise NotFound()
    return region


def _region_values(session: Session, administration: CustomsAdministration, region: Region | None,
                   name: Any, territory_id: Any, active: Any) -> dict[str, Any]:
    fields = _Fields()

    def check_name() -> str:
        value = _text(name, "name", "region name", required=True, max_len=120)
        clash = session.scalar(select(Region.id).where(
            Region.customs_id == administration.id, func.lower(Region.name) == value.lower(),
            *([Region.id != region.id] if region is not None else [])))
        if clash is not None:
            raise DomainError(f"A region called \u201c{value}\u201d already exists.", "name")
        return value

    def check_territory() -> int:
        wanted = administration.territory_id if territory_id in (None, "") else territory_id
        try:
            territory = session.get(CustomsTerritory, int(wanted))
        except (TypeError, ValueError):
            territory = None
        if territory is None:
            raise DomainError("Choose a customs territory from the list.", "territory_id")
        return territory.id

    values = {"name": fields.check("name", check_name),
              "territory_id": fields.check("territory_id", check_territory),
              "active": bool(active)}
    fields.done()
    return values


def create_region(session: Session, administration: CustomsAdministration, *, name: Any,
                  territory_id: Any = None, active: Any = True) -> Region:
    values = _region_values(session, administration, None, name, territory_id, active)
    region = Region(customs_id=administration.id, **values)
    session.add(region)
    _flush(session, "A region with this name already exists.", "name")
    return region


def update_region(session: Session, administration: CustomsAdministration, region: Region, *,
                  name: Any, territory_id: Any, active: Any) -> Changes:
    if region.customs_id != administration.id:
        raise NotFound()
    values = _region_values(session, administration, region, name, territory_id, active)
    changes = _apply(region, values)
    _flush(session, "A region with this name already exists.", "name")
    return changes


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def delete_region(session: Session, region: Region) -> None:
    """Refused while offices or accounts still belong to the region."""
    offices = session.scalar(select(func.count()).select_from(Office).where(
        Office.region_id == region.id, Office.customs_id == region.customs_id)) or 0
    accounts = session.scalar(select(func.count()).select_from(Account).where(
        Account.region_id == region.id, Account.customs_id == region.customs_id)) or 0
    if offices or accounts:
        parts = [p for p in (offices and _plural(offices, "office"),
                             accounts and _plural(accounts, "account")) if p]
        raise Conflict(f"This region still has {' and '.join(parts)}: move or delete them first.")
    _delete(session, region, "This region is still used elsewhere and cannot be deleted.")


# ---------------------------------------------------------------- offices (F-15)


def office_list(actor: Account, *, q: str | None = None, region_id: int | None = None,
                office_type: str | None = None, active: bool | None = None) -> Select:
    stmt = select(Office).where(Office.customs_id == actor.customs_id)
    if _is_regional(actor):
        stmt = stmt.where(Office.region_id == actor.region_id)
    cond = _search(q, Office.name, Office.code, Office.city, Office.postal_code)
    if cond is not None:
        stmt = stmt.where(cond)
    if region_id is not None:
        stmt = stmt.where(Office.region_id == region_id)
    if office_type in OFFICE_TYPES:
        stmt = stmt.where(getattr(Office, office_type).is_(True))
    if active is not None:
        stmt = stmt.where(Office.active.is_(active))
    return stmt.order_by(func.lower(Office.name), Office.id)


def get_office(session: Session, actor: Account, office_id: Any) -> Office:
    """The office if the actor may see it: another administration's or region's is NotFound."""
    try:
        office = office_of(session, actor.customs_id, office_id, required=True)
    except DomainError:
        raise NotFound() from None
    if _is_regional(actor) and office.region_id != actor.region_id:
        raise NotFound()
    return office


def _office_values(session: Session, actor: Account, office: Office | None,
                   data: dict[str, Any]) -> dict[str, Any]:
    cid = actor.customs_id
    fields = _Fields()

    def check_region() -> int:
        region = region_of(session, cid, data.get("region_id"))
        if _is_regional(actor) and region.id != actor.region_id:
            raise DomainError("You can only manage offices of your own region.", "region_id")
        return region.id

    def check_name() -> str:
        name = _text(data.get("name"), "name", "office name", required=True, max_len=160)
        clash = session.scalar(select(Office.id).where(
            Office.customs_id == cid, func.lower(Office.name) == name.lower(),
            *([Office.id != office.id] if office is not None else [])))
        if clash is not None:
            raise DomainError(f"An office called \u201c{name}\u201d already exists.", "name")
        return name

    def check_country() -> str | None:
        code = (data.get("country_code") or "").strip().upper() or None
        if code is not None and session.get(Country, code) is None:
            raise DomainError("Choose a country from the list.", "country_code")
        return code

    def check_timezone() -> str | None:
        zone = (data.get("timezone") or "").strip() or None
        if zone is not None and zone not in _known_zones():
            raise DomainError("Choose a time zone from the list, like Europe/Brussels.", "timezone")
        return zone

    def check_phone() -> str:
        phone = _text(data.get("phone"), "phone", "phone number", max_len=40)
        if phone and not re.fullmatch(r"[0-9+()./ -]{3,40}", phone):
            raise DomainError("Enter a phone number with digits, spaces and + ( ) - only.", "phone")
        return phone

    def text(field: str, label: str, max_len: int):
        return fields.check(field, lambda: _text(data.get(field), field, label, max_len=max_len))

    values = {
        "region_id": fields.check("region_id", check_region),
        "name": fields.check("name", check_name),
        "code": text("code", "office code", 32) or None,
        "street": text("street", "street", 200),
        "postal_code": text("postal_code", "postal code", 20),
        "city": text("city", "city", 120),
        "country_code": fields.check("country_code", check_country),
        "email": fields.check("email", lambda: _email(data.get("email"), required=False)),
        "phone": fields.check("phone", check_phone),
        "opening_hours": text("opening_hours", "opening hours", 2000),
        "latitude": fields.check("latitude", lambda: _coordinate(
            data.get("latitude"), "latitude", "latitude", 90)),
        "longitude": fields.check("longitude", lambda: _coordinate(
            data.get("longitude"), "longitude", "longitude", 180)),
        "timezone": fields.check("timezone", check_timezone),
        "active": bool(data.get("active")),
    }
    lat, lon = values["latitude"], values["longitude"]
    if "latitude" not in fields.errors and "longitude" not in fields.errors and (
            (lat is None) != (lon is None)):
        missing = "longitude" if lon is None else "latitude"
        fields.refuse(missing, f"Enter the {missing} too, or leave both coordinates empty.")
    fields.done()
    for flag in OFFICE_TYPES:
        values[flag] = bool(data.get(flag))
    return values


def create_office(session: Session, actor: Account, data: dict[str, Any]) -> Office:
    values = _office_values(session, actor, None, data)
    office = Office(customs_id=actor.customs_id, **values)
    session.add(office)
    _flush(session, "An office with this name already exists.", "name")
    return office


def update_office(session: Session, actor: Account, office: Office, data: dict[str, Any]) -> Changes:
    get_office(session, actor, office.id)
    values = _office_values(session, actor, office, data)
    changes = _apply(office, values)
    _flush(session, "An office with this name already exists.", "name")
    return changes


def delete_office(session: Session, actor: Account, office: Office) -> None:
    """Refused while accounts still have the office."""
    get_office(session, actor, office.id)
    accounts = session.scalar(select(func.count()).select_from(Account).where(
        Account.office_id == office.id, Account.customs_id == office.customs_id)) or 0
    if accounts:
        raise Conflict(f"This office still has {_plural(accounts, 'account')}: move or delete "
                       "them first.")
    _delete(session, office, "This office is still used elsewhere and cannot be deleted.")


# ---------------------------------------------------------------- accounts (F-13, F-14, R-16)


def account_list(actor: Account, *, q: str | None = None, role: str | None = None,
                 region_id: int | None = None, office_id: int | None = None,
                 active: bool | None = None) -> Select:
    stmt = select(Account).where(Account.customs_id == actor.customs_id,
                                 Account.role.in_(visible_roles(actor)))
    if _is_regional(actor):
        stmt = stmt.where(Account.region_id == actor.region_id)
    cond = _search(q, Account.full_name, Account.email)
    if cond is not None:
        stmt = stmt.where(cond)
    if role in ROLES:
        stmt = stmt.where(Account.role == role)
    if region_id is not None:
        stmt = stmt.where(Account.region_id == region_id)
    if office_id is not None:
        stmt = stmt.where(Account.office_id == office_id)
    if active is not None:
        stmt = stmt.where(Account.active.is_(active))
    return stmt.order_by(func.lower(Account.full_name), Account.id)


def visible_roles(actor: Account) -> list[str]:
    """Regional managers never see admins; otherwise the roles the actor may manage."""
    return manageable_roles(actor.role)


def get_account(session: Session, actor: Account, account_id: Any) -> Account:
    """The account if the actor may manage it; anything else (another administration, another
    region, a role above the actor's) is NotFound."""
    try:
        account_id = int(account_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    account = session.scalar(select(Account).where(Account.id == account_id,
                                                   Account.customs_id == actor.customs_id))
    if account is None or account.role not in visible_roles(actor):
        raise NotFound()
    if _is_regional(actor) and account.region_id != actor.region_id:
        raise NotFound()
    return account


def _account_values(session: Session, actor: Account, account: Account | None,
                    data: dict[str, Any]) -> dict[str, Any]:
    cid = actor.customs_id
    fields = _Fields()
    is_self = account is not None and account.id == actor.id

    def check_email() -> str:
        email = _email(data.get("email"))
        clash = session.scalar(select(Account.id).where(
            Account.customs_id == cid, Account.email == email,
            *([Account.id != account.id] if account is not None else [])))
        if clash is not None:
            raise DomainError("Another account already uses this email address.", "email")
        if is_self and email != account.email:
            # the account menu's change needs the password again and the new address confirmed
            raise DomainError("Change your own login email from the account menu (Change email).",
                              "email")
        return email

    def check_role() -> str:
        role = data.get("role") or ""
        if role not in ROLES:
            raise DomainError("Choose a role.", "role")
        if not has_permission(actor.role, ACCOUNT_ROLE_PERMISSION[role]):
            raise PermissionDenied(f"You may not manage {ROLE_LABELS[role].lower()} accounts.",
                                   "role")
        if is_self and role != account.role:
            raise DomainError("You cannot change your own role: ask another admin.", "role")
        return role

    def check_region() -> Region | None:
        bound = role is None or is_region_bound(role)
        region = region_of(session, cid, data.get("region_id"), required=bound)
        if region is not None and _is_regional(actor) and region.id != actor.region_id:
            raise DomainError("You can only manage accounts of your own region.", "region_id")
        if is_self and (region.id if region else None) != account.region_id:
            raise DomainError("You cannot change your own region: ask an admin.", "region_id")
        return region

    def check_office() -> Office | None:
        office = office_of(session, cid, data.get("office_id"))
        if office is None:
            return None
        if region is not None and office.region_id != region.id:
            raise DomainError(f"Choose an office of the region \u201c{region.name}\u201d.",
                              "office_id")
        if _is_regional(actor) and office.region_id != actor.region_id:
            raise DomainError("Choose an office of your own region.", "office_id")
        return office

    full_name = fields.check("full_name", lambda: _text(
        data.get("full_name"), "full_name", "full name", required=True, max_len=200))
    email = fields.check("email", check_email)
    role = fields.check("role", check_role)
    region = fields.check("region_id", check_region)
    office = fields.check("office_id", check_office) if "region_id" not in fields.errors else None
    fields.done()
    return {"full_name": full_name, "email": email, "role": role,
            "region_id": region.id if region else None,
            "office_id": office.id if office else None}


def create_account(session: Session, actor: Account, data: dict[str, Any]) -> Account:
    """A new account, without a password: the caller sends the invitation (F-11)."""
    values = _account_values(session, actor, None, data)
    account = Account(customs_id=actor.customs_id, active=bool(data.get("active", True)),
                      password_hash=None, **values)
    session.add(account)
    _flush(session, "Another account already uses this email address.", "email")
    return account


def update_account(session: Session, actor: Account, account: Account,
                   data: dict[str, Any]) -> Changes:
    get_account(session, actor, account.id)
    values = _account_values(session, actor, account, data)
    changes = _apply(account, values)
    _flush(session, "Another account already uses this email address.", "email")
    if "email" in changes:  # invitation/reset links sent to the old address stop working
        end_tokens(session, account.id, TOKEN_PURPOSES)
    return changes


def set_account_active(session: Session, actor: Account, account: Account, active: bool) -> Changes:
    """Enable or disable; disabling ends every open session of the account on the server."""
    get_account(session, actor, account.id)
    if account.id == actor.id and not active:
        raise DomainError("You cannot disable your own account.")
    changes = _apply(account, {"active": bool(active)})
    if not active:
        revoke_all_sessions(session, account.id)
    session.flush()
    return changes


def force_password_change(session: Session, actor: Account, account: Account) -> Changes:
    get_account(session, actor, account.id)
    changes = _apply(account, {"must_change_password": True})
    session.flush()
    return changes


def check_can_reset(session: Session, actor: Account, account: Account) -> None:
    get_account(session, actor, account.id)
    if not account.active:
        raise DomainError("This account is disabled: enable it before sending a reset link.")


def delete_account(session: Session, actor: Account, account: Account) -> dict[str, Any]:
    """Delete the account (its sessions and tokens go with it); refuses deleting yourself."""
    get_account(session, actor, account.id)
    if account.id == actor.id:
        raise DomainError("You cannot delete your own account.")
    snapshot = {"email": account.email, "full_name": account.full_name, "role": account.role,
                "region_id": account.region_id, "office_id": account.office_id}
    revoke_all_sessions(session, account.id)
    _delete(session, account,
            "This account is still referenced by transactions or other records: disable it "
            "instead.")
    return snapshot


# ---------------------------------------------------------------- settings


def update_settings(session: Session, administration: CustomsAdministration, *,
                    mfa_mandatory: Any, invitation_days: Any) -> Changes:
    try:
        days = int(invitation_days)
    except (TypeError, ValueError):
        raise DomainError("Enter a number of days.", "invitation_days") from None
    low, high = INVITATION_DAYS_RANGE
    if not low <= days <= high:
        raise DomainError(f"The invitation link lifetime must be between {low} and {high} days.",
                          "invitation_days")
    changes = _apply(administration, {"mfa_mandatory": bool(mfa_mandatory),
                                      "invitation_days": days})
    session.flush()
    return changes


# ---------------------------------------------------------------- export (F-14)

EXPORT_LIMIT = 50_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is prefixed with a quote (CSV/XLSX
    injection); numbers and dates pass through."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def accounts_workbook(session: Session, stmt: Select) -> bytes:
    """The accounts of `stmt` (already scoped by account_list) as an .xlsx file."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Accounts"
    ws.append(["Full name / badge number", "Email", "Role", "Region", "Office", "Status",
               "MFA", "Last login (UTC)", "Created (UTC)"])
    for account in session.scalars(stmt.limit(EXPORT_LIMIT)):
        row = [account.full_name, account.email, ROLE_LABELS.get(account.role, account.role),
               account.region.name if account.region else "",
               account.office.name if account.office else "",
               "Activated" if account.active else "Disabled",
               account.mfa_method or "", account.last_login_at, account.created_at]
        ws.append([neutralise_cell(v) for v in row])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
    for column, width in zip("ABCDEFGHI", (30, 34, 18, 20, 28, 12, 8, 18, 18), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

