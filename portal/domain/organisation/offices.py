"""Offices of an administration (F-15): list, create, update, delete, by an admin or by a
regional manager within their region."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from portal.domain import Conflict, DomainError
from portal.domain.info import directory
from portal.domain.info import search as info_search
from portal.domain.organisation.base import (
    Changes,
    apply_changes,
    delete_or_conflict,
    flush_or_conflict,
    search,
)
from portal.domain.organisation.fields import (
    Fields,
    both_coordinates,
    email_address,
    latitude,
    longitude,
    phone,
    text_of,
    timezone,
)
from portal.domain.organisation.scope import get_office, is_regional, region_of
from portal.models import Account, Country, Office

OFFICE_TYPES = {
    "is_administrative": _l("Administrative"),
    "is_sea_port": _l("Sea port"),
    "is_airport": _l("Airport"),
    "is_land_port": _l("Land port"),
}


def office_list(
    actor: Account,
    *,
    q: str | None = None,
    region_id: int | None = None,
    office_type: str | None = None,
    active: bool | None = None,
) -> Select:
    stmt = select(Office).where(Office.customs_id == actor.customs_id)
    if is_regional(actor):
        stmt = stmt.where(Office.region_id == actor.region_id)
    cond = search(q, Office.name, Office.code, Office.city, Office.postal_code)
    if cond is not None:
        stmt = stmt.where(cond)
    if region_id is not None:
        stmt = stmt.where(Office.region_id == region_id)
    if office_type in OFFICE_TYPES:
        stmt = stmt.where(getattr(Office, office_type).is_(True))
    if active is not None:
        stmt = stmt.where(Office.active.is_(active))
    return stmt.order_by(func.lower(Office.name), Office.id)


def _office_values(
    session: Session, actor: Account, office: Office | None, data: dict[str, Any]
) -> dict[str, Any]:
    cid = actor.customs_id
    fields = Fields()

    def check_region() -> int:
        region = region_of(session, cid, data.get("region_id"))
        if is_regional(actor) and region.id != actor.region_id:
            raise DomainError(_("You can only manage offices of your own region."), "region_id")
        return region.id

    def check_name() -> str:
        name = text_of("office", "name", data.get("name"))
        clash = session.scalar(
            select(Office.id).where(
                Office.customs_id == cid,
                func.lower(Office.name) == name.lower(),
                *([Office.id != office.id] if office is not None else []),
            )
        )
        if clash is not None:
            raise DomainError(_("An office called “%(name)s” already exists.", name=name), "name")
        return name

    def check_country() -> str | None:
        code = (data.get("country_code") or "").strip().upper() or None
        if code is not None and session.get(Country, code) is None:
            raise DomainError(_("Choose a country from the list."), "country_code")
        return code

    def plain(name: str):
        return fields.check(name, lambda: text_of("office", name, data.get(name)))

    values = {
        "region_id": fields.check("region_id", check_region),
        "name": fields.check("name", check_name),
        "code": plain("code") or None,
        "street": plain("street"),
        "postal_code": plain("postal_code"),
        "city": plain("city"),
        "country_code": fields.check("country_code", check_country),
        "email": fields.check("email", lambda: email_address(data.get("email"), required=False)),
        "phone": fields.check("phone", lambda: phone(data.get("phone"))),
        "opening_hours": plain("opening_hours"),
        "latitude": fields.check("latitude", lambda: latitude(data.get("latitude"))),
        "longitude": fields.check("longitude", lambda: longitude(data.get("longitude"))),
        "timezone": fields.check("timezone", lambda: timezone(data.get("timezone"))),
        "active": bool(data.get("active")),
    }
    both_coordinates(fields, values["latitude"], values["longitude"])
    fields.done()
    for flag in OFFICE_TYPES:
        values[flag] = bool(data.get(flag))
    return values


def create_office(session: Session, actor: Account, data: dict[str, Any]) -> Office:
    values = _office_values(session, actor, None, data)
    office = Office(customs_id=actor.customs_id, **values)
    session.add(office)
    flush_or_conflict(session, _("An office with this name already exists."), "name")
    directory.index_office(session, office)  # the directory's search entry (F-81)
    return office


def update_office(
    session: Session, actor: Account, office: Office, data: dict[str, Any]
) -> Changes:
    get_office(session, actor, office.id)
    values = _office_values(session, actor, office, data)
    changes = apply_changes(office, values)
    flush_or_conflict(session, _("An office with this name already exists."), "name")
    directory.index_office(session, office)
    return changes


def delete_office(session: Session, actor: Account, office: Office) -> None:
    """Refused while accounts still have the office."""
    get_office(session, actor, office.id)
    accounts = (
        session.scalar(
            select(func.count())
            .select_from(Account)
            .where(Account.office_id == office.id, Account.customs_id == office.customs_id)
        )
        or 0
    )
    if accounts:
        raise Conflict(
            _(
                "This office still has %(count)s: move or delete them first.",
                count=ngettext("%(num)d account", "%(num)d accounts", accounts),
            )
        )
    info_search.remove(session, "office", office.id)
    delete_or_conflict(
        session, office, _("This office is still used elsewhere and cannot be deleted.")
    )
