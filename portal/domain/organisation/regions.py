"""Regions of an administration (F-15): list, create, update, delete. Refusals name the form
field they belong to (R-12); the write functions flush, the caller commits with its audit."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from portal.domain import Conflict, DomainError, NotFound
from portal.domain.organisation.base import (
    Changes,
    apply_changes,
    delete_or_conflict,
    flush_or_conflict,
    search,
)
from portal.domain.organisation.fields import Fields, text_of
from portal.domain.organisation.scope import as_id
from portal.models import Account, CustomsAdministration, CustomsTerritory, Office, Region


def region_list(customs_id: int, *, q: str | None = None, active: bool | None = None) -> Select:
    stmt = select(Region).where(Region.customs_id == customs_id)
    cond = search(q, Region.name)
    if cond is not None:
        stmt = stmt.where(cond)
    if active is not None:
        stmt = stmt.where(Region.active.is_(active))
    return stmt.order_by(func.lower(Region.name), Region.id)


def _region_values(
    session: Session,
    administration: CustomsAdministration,
    region: Region | None,
    name: Any,
    territory_id: Any,
    active: Any,
) -> dict[str, Any]:
    fields = Fields()

    def check_name() -> str:
        value = text_of("region", "name", name)
        clash = session.scalar(
            select(Region.id).where(
                Region.customs_id == administration.id,
                func.lower(Region.name) == value.lower(),
                *([Region.id != region.id] if region is not None else []),
            )
        )
        if clash is not None:
            raise DomainError(_("A region called “%(value)s” already exists.", value=value), "name")
        return value

    def check_territory() -> int:
        wanted = administration.territory_id if territory_id in (None, "") else territory_id
        territory_key = as_id(wanted)
        territory = None if territory_key is None else session.get(CustomsTerritory, territory_key)
        if territory is None:
            raise DomainError(_("Choose a customs territory from the list."), "territory_id")
        return territory.id

    values = {
        "name": fields.check("name", check_name),
        "territory_id": fields.check("territory_id", check_territory),
        "active": bool(active),
    }
    fields.done()
    return values


def create_region(
    session: Session,
    administration: CustomsAdministration,
    *,
    name: Any,
    territory_id: Any = None,
    active: Any = True,
) -> Region:
    values = _region_values(session, administration, None, name, territory_id, active)
    region = Region(customs_id=administration.id, **values)
    session.add(region)
    flush_or_conflict(session, _("A region with this name already exists."), "name")
    return region


def update_region(
    session: Session,
    administration: CustomsAdministration,
    region: Region,
    *,
    name: Any,
    territory_id: Any,
    active: Any,
) -> Changes:
    if region.customs_id != administration.id:
        raise NotFound()
    values = _region_values(session, administration, region, name, territory_id, active)
    changes = apply_changes(region, values)
    flush_or_conflict(session, _("A region with this name already exists."), "name")
    return changes


def delete_region(session: Session, region: Region) -> None:
    """Refused while offices or accounts still belong to the region."""
    offices = (
        session.scalar(
            select(func.count())
            .select_from(Office)
            .where(Office.region_id == region.id, Office.customs_id == region.customs_id)
        )
        or 0
    )
    accounts = (
        session.scalar(
            select(func.count())
            .select_from(Account)
            .where(Account.region_id == region.id, Account.customs_id == region.customs_id)
        )
        or 0
    )
    if offices or accounts:
        counts = [
            ngettext("%(num)d office", "%(num)d offices", offices) if offices else "",
            ngettext("%(num)d account", "%(num)d accounts", accounts) if accounts else "",
        ]
        raise Conflict(
            _(
                "This region still has %(offices)s and %(accounts)s: move or delete them first.",
                offices=counts[0],
                accounts=counts[1],
            )
            if offices and accounts
            else _(
                "This region still has %(what)s: move or delete them first.",
                what=counts[0] or counts[1],
            )
        )
    delete_or_conflict(
        session, region, _("This region is still used elsewhere and cannot be deleted.")
    )
