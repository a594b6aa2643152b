"""The directory (F-81): NGAs, issuing associations (chambers) and every administration's
offices with their contact details and coordinates; their search entries."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.domain import DomainError, api_clients, audit
from portal.domain.api_clients import OPERATOR, Actor
from portal.domain.info import search
from portal.models import NGA, CustomsAdministration, IssuingAssociation, Office

CONTACT_FIELDS = ("street", "postal_code", "city", "email", "phone")


def address_of(obj) -> str:
    return ", ".join(p for p in (obj.street, f"{obj.postal_code} {obj.city}".strip()) if p)


def _listed(session: Session, office: Office) -> bool:
    """In the directory: an active office of an active administration."""
    if not office.active:
        return False
    administration = session.get(CustomsAdministration, office.customs_id)
    return administration is not None and administration.active


def index_office(session: Session, office: Office) -> None:
    if not _listed(session, office):
        search.remove(session, "office", office.id)
        return
    body = " ".join(
        p for p in (address_of(office), office.code or "", office.email, office.phone) if p
    )
    search.upsert(session, "office", office.id, title=office.name, body=body, audience="customs")


def index_nga(session: Session, nga: NGA) -> None:
    body = " ".join(p for p in (address_of(nga), nga.country_code, nga.email, nga.website) if p)
    search.upsert(session, "nga", nga.id, title=nga.name, body=body, audience="all")


def index_association(session: Session, ia: IssuingAssociation) -> None:
    body = " ".join(p for p in (address_of(ia), ia.nga.name, ia.email) if p)
    search.upsert(session, "ia", ia.id, title=ia.name, body=body, audience="all")


def reindex(session: Session) -> int:
    """Every directory entry written again (demo data, `flask info reindex`)."""
    n = 0
    for office in session.scalars(select(Office).execution_options(all_tenants=True)):
        index_office(session, office)
        n += 1
    for nga in session.scalars(select(NGA)):
        index_nga(session, nga)
        n += 1
    for ia in session.scalars(select(IssuingAssociation)):
        index_association(session, ia)
        n += 1
    return n


def index_offices_of(session: Session, administration: CustomsAdministration) -> int:
    """The search entries of an administration's offices written again (or removed) after it
    was deactivated or reactivated."""
    rows = session.scalars(
        select(Office)
        .where(Office.customs_id == administration.id)
        .execution_options(all_tenants=True)
    ).all()
    for row in rows:
        index_office(session, row)
    return len(rows)


def ngas(session: Session) -> list[NGA]:
    return list(
        session.scalars(
            select(NGA)
            .where(NGA.active.is_(True))
            .options(selectinload(NGA.associations))
            .order_by(NGA.country_code, NGA.name)
        )
    )


@dataclass(frozen=True)
class AdministrationOffices:
    administration: CustomsAdministration
    offices: list[Office]


def offices(session: Session) -> list[AdministrationOffices]:
    """Every active administration's active offices (the directory is shared by all)."""
    rows = session.scalars(
        select(Office)
        .where(Office.active.is_(True))
        .order_by(Office.customs_id, Office.name)
        .execution_options(all_tenants=True)
    )
    by_admin: dict[int, list[Office]] = {}
    for office in rows:
        by_admin.setdefault(office.customs_id, []).append(office)
    admins = session.scalars(
        select(CustomsAdministration)
        .where(CustomsAdministration.active.is_(True))
        .order_by(CustomsAdministration.name)
    )
    return [AdministrationOffices(a, by_admin.get(a.id, [])) for a in admins]


def office(session: Session, office_id: int) -> Office | None:
    """An office of the directory: active, of an active administration."""
    return session.scalar(
        select(Office)
        .join(CustomsAdministration, CustomsAdministration.id == Office.customs_id)
        .where(
            Office.id == office_id,
            Office.active.is_(True),
            CustomsAdministration.active.is_(True),
        )
        .execution_options(all_tenants=True)
    )


def update_contact(
    session: Session, obj: NGA | IssuingAssociation, data: dict, *, actor: Actor = OPERATOR
) -> dict:
    """The operator changes an NGA's or a chamber's name and contact details."""
    name = (data.get("name") or "").strip()
    if not name:
        raise DomainError(_("Give the name."), field="name")
    clean = {"name": name, **api_clients.contact_details(data, website=isinstance(obj, NGA))}
    changes = {}
    for key, value in clean.items():
        if getattr(obj, key) != value:
            changes[key] = [getattr(obj, key), value]
            setattr(obj, key, value)
    session.flush()
    kind = "nga" if isinstance(obj, NGA) else "issuing_association"
    if changes:
        audit.by_actor(
            session, f"{kind}.changed", actor, object_type=kind, object_id=obj.id, data=changes
        )
    if isinstance(obj, NGA):
        index_nga(session, obj)
    else:
        index_association(session, obj)
    return changes
