"""Whose organisation an actor may see and change (F-13, R-16): an admin the whole
administration, a regional manager their region's offices and their region's officer and
controller accounts. `*_reach(actor)` are SQL conditions: the routes pass them to
`tenancy.get_for_tenant_or_404`, lists and checks use them too, so each rule is written once.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar, overload

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from portal.db import MAX_ID
from portal.domain import DomainError, NotFound
from portal.domain.permissions import ADMIN, is_region_bound, manageable_roles
from portal.models import Account, Office, Region


def as_id(value: Any) -> int | None:
    """An id typed in a form or URL, or None when it is not one (text, out of range)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def is_regional(actor: Account) -> bool:
    """A regional manager acts only within their region (an admin everywhere)."""
    return actor.role != ADMIN and is_region_bound(actor.role)


@overload
def region_of(
    session: Session,
    customs_id: int,
    region_id: Any,
    *,
    field: str = ...,
    required: Literal[True] = ...,
) -> Region: ...
@overload
def region_of(
    session: Session, customs_id: int, region_id: Any, *, field: str = ..., required: bool
) -> Region | None: ...
def region_of(
    session: Session,
    customs_id: int,
    region_id: Any,
    *,
    field: str = "region_id",
    required: bool = True,
) -> Region | None:
    """The region `region_id` of this administration, or a refusal on `field`."""
    return _chosen(session, Region, "a region", customs_id, region_id, field, required)


def office_of(
    session: Session,
    customs_id: int,
    office_id: Any,
    *,
    field: str = "office_id",
    required: bool = False,
) -> Office | None:
    """The office `office_id` of this administration, or a refusal on `field`."""
    return _chosen(session, Office, "an office", customs_id, office_id, field, required)


_Chosen = TypeVar("_Chosen", Region, Office)


# the refusals of a missing or unknown choice, per kind of object (whole sentences per language)
CHOOSE = {
    "a region": (_l("Choose a region."), _l("Choose a region from the list.")),
    "an office": (_l("Choose an office."), _l("Choose an office from the list.")),
}


def _chosen(
    session: Session,
    model: type[_Chosen],
    noun: str,
    customs_id: int,
    value: Any,
    field: str,
    required: bool,
) -> _Chosen | None:
    """The object chosen in a select (its id as typed), if it is this administration's."""
    if value in (None, ""):
        if required:
            raise DomainError(str(CHOOSE[noun][0]), field)
        return None
    object_id = as_id(value)
    found = (
        None
        if object_id is None
        else session.scalar(
            select(model).where(model.id == object_id, model.customs_id == customs_id)
        )
    )
    if found is None:
        raise DomainError(str(CHOOSE[noun][1]), field)
    return found


def regions_for(session: Session, actor: Account) -> list[Region]:
    """The regions the actor may pick (a regional manager: only their own)."""
    return list(session.scalars(select(Region).where(*region_reach(actor)).order_by(Region.name)))


def offices_for(session: Session, actor: Account) -> list[Office]:
    """The offices the actor may pick, active or not (a regional manager: their region's)."""
    return list(session.scalars(select(Office).where(*office_reach(actor)).order_by(Office.name)))


def office_within_reach(actor: Account, office: Office | None) -> bool:
    """Whether `office` is an active office among offices_for(actor) (R-16)."""
    return (
        office is not None
        and office.active
        and office.customs_id == actor.customs_id
        and (not is_regional(actor) or office.region_id == actor.region_id)
    )


def offices_within_reach(actor: Account) -> list:
    """The same as SQL conditions on Office, to join in a query."""
    return [Office.active.is_(True), *office_reach(actor)]


def region_reach(actor: Account) -> list:
    """The regions the actor may open (SQL conditions on Region)."""
    return _reach(actor, Region.customs_id, Region.id)


def office_reach(actor: Account) -> list:
    """The offices the actor may open and change, active or not (SQL conditions on Office)."""
    return _reach(actor, Office.customs_id, Office.region_id)


def _reach(actor: Account, customs_id, region_id) -> list:
    """The actor's administration, and for a regional manager their region."""
    return [
        customs_id == actor.customs_id,
        *([region_id == actor.region_id] if is_regional(actor) else []),
    ]


def account_reach(actor: Account) -> list:
    """The accounts the actor may open and manage: their own, and those of the roles they
    manage (for a regional manager, officers and controllers of their region)."""
    managed = and_(
        Account.role.in_(manageable_roles(actor.role)),
        *([Account.region_id == actor.region_id] if is_regional(actor) else []),
    )
    return [Account.customs_id == actor.customs_id, or_(Account.id == actor.id, managed)]


def get_within(session: Session, model, object_id: Any, reach: list):
    """The object `object_id` of `model` within `reach`, else NotFound (for the domain's own
    re-checks; routes use tenancy.get_for_tenant_or_404 with the same reach)."""
    object_id = as_id(object_id)
    obj = (
        None
        if object_id is None
        else session.scalar(select(model).where(model.id == object_id, *reach))
    )
    if obj is None:
        raise NotFound()
    return obj


def get_region(session: Session, actor: Account, region_id: Any) -> Region:
    return get_within(session, Region, region_id, region_reach(actor))


def get_office(session: Session, actor: Account, office_id: Any) -> Office:
    return get_within(session, Office, office_id, office_reach(actor))


def get_account(session: Session, actor: Account, account_id: Any) -> Account:
    """The account if the actor may manage it; anything else (another administration, another
    region, a peer regional manager, an admin for a regional manager) is NotFound."""
    return get_within(session, Account, account_id, account_reach(actor))
