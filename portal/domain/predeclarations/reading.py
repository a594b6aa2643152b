"""Reading pre-declarations: the offices a voucher can be pre-declared to, a voucher's open one,
the customs list (F-51) and its count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ScalarSelect, Select, func, select
from sqlalchemy.orm import Session

from portal.domain import NotFound
from portal.domain.organisation.scope import offices_within_reach
from portal.domain.travels import get_travel
from portal.models import (
    Account,
    Carnet,
    Country,
    CustomsAdministration,
    Holder,
    Office,
    Predeclaration,
    Voucher,
)
from portal.models.predeclarations import OPEN_STATES, PREDECLARATION_STATES

# --- reading --------------------------------------------------------------------------------


def offices_for_voucher(session: Session, voucher: Voucher) -> list[Office]:
    """The active customs offices (not administrative ones) of the voucher's customs territory,
    by country and name: where a pre-declaration for it can be sent."""
    rows = session.scalars(
        select(Office)
        .join(CustomsAdministration, CustomsAdministration.id == Office.customs_id)
        .outerjoin(Country, Country.code == Office.country_code)
        .where(
            Office.active.is_(True),
            Office.is_administrative.is_(False),
            CustomsAdministration.active.is_(True),
            func.coalesce(Country.territory_id, CustomsAdministration.territory_id)
            == voucher.territory_id,
        )
        .order_by(CustomsAdministration.country_code, Office.name)
    )
    return list(rows)


def of_vouchers(session: Session, voucher_ids: list[int]) -> dict[int, Predeclaration]:
    """The latest pre-declaration of each voucher (open or not), by voucher id."""
    if not voucher_ids:
        return {}
    out: dict[int, Predeclaration] = {}
    for p in session.scalars(
        select(Predeclaration)
        .where(Predeclaration.voucher_id.in_(voucher_ids))
        .order_by(Predeclaration.created_at, Predeclaration.id)
    ):
        out[p.voucher_id] = p
    return out


def status_key(session: Session, voucher_ids: list[int]) -> str:
    """The wallet's live fingerprint of the vouchers' pre-declarations (count and versions)."""
    if not voucher_ids:
        return "0"
    count, versions = session.execute(
        select(func.count(Predeclaration.id), func.sum(Predeclaration.version)).where(
            Predeclaration.voucher_id.in_(voucher_ids)
        )
    ).one()
    return f"{count}.{versions or 0}"


def holder_predeclaration(
    session: Session, holder: Holder, predeclaration_id: int
) -> Predeclaration:
    """A pre-declaration of a travel the holder sees (F-38); another's is not found."""
    p = session.get(Predeclaration, predeclaration_id)
    if p is None:
        raise NotFound("No such pre-declaration.")
    get_travel(session, holder, p.travel_id)  # NotFound when not the holder's
    return p


def incoming(
    customs_id: int,
    office_ids: list[int],
    *,
    office_id: int | None = None,
    day: dt.date | None = None,
    state: str | None = None,
) -> Select:
    """F-51: the pre-notifications/pre-declarations sent to these offices (the officer's, R-16)
    of one administration (R-17), newest first, with their carnet: rows of (Predeclaration,
    Carnet, Office). Filters: office, expected day, state ("open" = pending or acknowledged)."""
    stmt = (
        select(Predeclaration, Carnet, Office)
        .join(Carnet, Carnet.id == Predeclaration.carnet_id)
        .join(Office, Office.id == Predeclaration.office_id)
        .where(Predeclaration.customs_id == customs_id, Predeclaration.office_id.in_(office_ids))
        .order_by(Predeclaration.created_at.desc(), Predeclaration.id.desc())
    )
    if office_id is not None:
        stmt = stmt.where(Predeclaration.office_id == office_id)
    if day is not None:
        start = dt.datetime.combine(day, dt.time())
        stmt = stmt.where(
            Predeclaration.expected_at >= start,
            Predeclaration.expected_at < start + dt.timedelta(days=1),
        )
    if state == "open":
        stmt = stmt.where(Predeclaration.state.in_(OPEN_STATES))
    elif state:
        stmt = stmt.where(Predeclaration.state == state)
    return stmt


def pending_count(actor: Account) -> ScalarSelect[int]:
    """The menu's count (F-51): the pending ones at the active offices within the officer's
    reach (R-16), as a scalar subquery — the menu reads it with its other counts at once (its
    `actor` may carry bind parameters as customs_id and region_id there)."""
    return (
        select(func.count(Predeclaration.id))
        .join(Office, Office.id == Predeclaration.office_id)
        .where(
            Predeclaration.customs_id == actor.customs_id,
            Predeclaration.state == "pending",
            *offices_within_reach(actor),
        )
        .scalar_subquery()
    )


def parse_state(value: Any) -> str | None:
    value = (value or "").strip() if isinstance(value, str) else None
    if value == "open" or value in PREDECLARATION_STATES:
        return value
    return None
