"""Who acts at customs (`Officer`) and where (`place_of`: administration, country, customs
territory of the officer's office)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.domain import PermissionDenied, audit
from portal.domain.refdata_cache import expires_at, fresh, invalidated_by_refdata
from portal.domain.rules import Place
from portal.models import (
    Account,
    AuditEvent,
    Country,
    CustomsAdministration,
    CustomsTerritory,
    Office,
)


@dataclass(frozen=True)
class Officer:
    """Who acts at customs: the account and the office it works from (changeable within the
    region in the wizard)."""

    account: Account
    office: Office
    ip: str | None = None


# (account, office attributes) → (expiry, Place): reference data, per process
# (portal/domain/refdata_cache.py: REFDATA_TTL at most, dropped at once on a change here)
_PLACES: dict[tuple, tuple[float, Place]] = {}


@invalidated_by_refdata("engine_places")
def forget_places() -> None:
    _PLACES.clear()


def place_of(session: Session, officer: Officer) -> Place:
    """Where the officer acts. The office → administration → territory resolution is cached
    per process (reference data); the active flags are checked on every call."""
    account, office = officer.account, officer.office
    if office is None or office.customs_id != account.customs_id:
        raise PermissionDenied(_("Choose an office of your own administration."))
    if not office.active or not account.active:
        raise PermissionDenied(_("This office or account is not active."))
    key = (
        account.id,
        account.customs_id,
        account.full_name,
        office.id,
        office.customs_id,
        office.name,
        office.country_code,
        office.timezone,
    )
    hit = _PLACES.get(key)
    if hit is not None and fresh(hit[0]):
        return hit[1]
    admin = session.get(CustomsAdministration, account.customs_id)
    assert admin is not None  # the account's foreign key
    country_code = office.country_code or admin.country_code
    country = session.get(Country, country_code)
    assert country is not None  # the office's / administration's foreign key
    territory_id = country.territory_id or admin.territory_id
    territory = session.get(CustomsTerritory, territory_id)
    assert territory is not None
    place = Place(
        customs_id=admin.id,
        office_id=office.id,
        office_name=office.name,
        territory_id=territory_id,
        territory_code=territory.code,
        country_code=country_code,
        country_name=country.name,
        account_id=account.id,
        officer_name=account.full_name,
        timezone=office.timezone or admin.timezone or "UTC",
    )
    if len(_PLACES) > 10_000:
        _PLACES.clear()
    _PLACES[key] = (expires_at(), place)
    return place


def officer_event(
    session: Session, action: str, officer: Officer, place: Place, **fields
) -> AuditEvent:
    """`audit.record` of what an officer did at their office: the account is the actor, in its
    administration's trail (and chain); `fields` name the object and the data."""
    return audit.record(
        session,
        action,
        actor_type="account",
        actor_id=place.account_id,
        actor_label=officer.account.email,
        customs_id=place.customs_id,
        ip=officer.ip,
        **fields,
    )
