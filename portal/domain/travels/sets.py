"""The vouchers a travel implies and the sets it consumes or gives back (R-09)."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.db import now_utc, rows_changed
from portal.domain import Conflict, DomainError
from portal.domain.carnets import SET_LABELS
from portal.domain.rules import territory_of
from portal.domain.transition import digital_legs
from portal.domain.travels.input import SET_OF_KIND
from portal.models import (
    Carnet,
    CarnetSets,
    Country,
)

# --- planning ---------------------------------------------------------------------------------


def _country(session: Session, code: str, field_name: str) -> Country:
    country = session.get(Country, (code or "").upper())
    if country is None:
        raise DomainError(_("%(code)s is not a country.", code=repr(code)), field=field_name)
    return country


def plan(
    session: Session,
    carnet: Carnet,
    departure: str,
    destination: str,
    transits: list[str],
    *,
    needs_validation: bool,
    day: dt.date | None = None,
) -> list[tuple[str, str]]:
    """[(voucher kind, country)] in the order the holder meets them — in digital countries
    only: what is made in a paper country on `day` (today) is made on the paper carnet
    (`transition.digital_legs`, use cases 2, 4–6)."""
    home = territory_of(session, carnet.departure_country)
    dep = _country(session, departure, "departure_country")
    dest = _country(session, destination, "destination_country")
    box_p = {c.country_code for c in carnet.countries}
    box_p_territories = (
        set(session.scalars(select(Country.territory_id).where(Country.code.in_(box_p))))
        if box_p
        else set()
    )

    def abroad_ok(country: Country, field_name: str) -> None:
        if country.territory_id not in box_p_territories:
            raise DomainError(
                _(
                    "This carnet is not valid in %(country)s: it is not listed in Box P.",
                    country=country.name,
                ),
                field=field_name,
            )

    if dep.territory_id == home and dest.territory_id == home:
        raise DomainError(
            _(
                "%(departure)s and %(destination)s are in the carnet's home customs territory: "
                "no customs transaction is needed.",
                departure=dep.name,
                destination=dest.name,
            ),
            field="destination_country",
        )
    out: list[tuple[str, str]] = []
    if dep.territory_id == home:
        abroad_ok(dest, "destination_country")
        if needs_validation:
            out.append(("validation", dep.code))
        out.append(("export", dep.code))
    else:
        abroad_ok(dep, "departure_country")
        out.append(("reexport", dep.code))
    seen = set()
    for code in transits:
        country = _country(session, code, "transit_countries")
        if country.code in seen:
            raise DomainError(
                _("%(country)s is listed twice.", country=country.name), field="transit_countries"
            )
        seen.add(country.code)
        if country.territory_id in (home, dep.territory_id, dest.territory_id):
            raise DomainError(
                _(
                    "%(country)s is not a transit country on this travel: it is in the "
                    "departure or destination customs territory.",
                    country=country.name,
                ),
                field="transit_countries",
            )
        abroad_ok(country, "transit_countries")
        out += [("transit_open", country.code), ("transit_close", country.code)]
    if dest.territory_id == home:
        out.append(("reimport", dest.code))
    else:
        out.append(("import", dest.code))
    return digital_legs(session, out, day or now_utc().date(), carnet)


def sets_needed(kinds: list[str]) -> dict[str, int]:
    need: dict[str, int] = {}
    for kind in kinds:
        if kind in SET_OF_KIND:
            need[SET_OF_KIND[kind]] = need.get(SET_OF_KIND[kind], 0) + 1
    return need


def consume_sets(session: Session, carnet: Carnet, need: dict[str, int]) -> None:
    """Take the sets with a conditional UPDATE, so two devices saving at once cannot both take
    the last one (R-09)."""
    for kind, count in need.items():
        done = rows_changed(
            session,
            update(CarnetSets)
            .where(
                CarnetSets.carnet_id == carnet.id,
                CarnetSets.kind == kind,
                CarnetSets.remaining >= count,
            )
            .values(remaining=CarnetSets.remaining - count)
            .execution_options(synchronize_session=False),
        )
        if done != 1:
            left = (
                session.scalar(
                    select(CarnetSets.remaining).where(
                        CarnetSets.carnet_id == carnet.id, CarnetSets.kind == kind
                    )
                )
                or 0
            )
            raise Conflict(
                _(
                    "This carnet has no %(sets)s sets left, and this travel needs %(count)s: "
                    "ask your issuing association for additional sets.",
                    sets=SET_LABELS[kind],
                    count=count,
                )
                if left == 0
                else ngettext(
                    "This carnet has only %(num)s %(sets)s set left, and this travel needs "
                    "%(count)s: ask your issuing association for additional sets.",
                    "This carnet has only %(num)s %(sets)s sets left, and this travel needs "
                    "%(count)s: ask your issuing association for additional sets.",
                    left,
                    sets=SET_LABELS[kind],
                    count=count,
                ),
                code="no_sets_left",
            )
    _refresh_sets(session, carnet)


def give_back_sets(session: Session, carnet: Carnet, consumed: dict[str, int]) -> None:
    for kind, count in (consumed or {}).items():
        session.execute(
            update(CarnetSets)
            .where(CarnetSets.carnet_id == carnet.id, CarnetSets.kind == kind)
            .values(remaining=CarnetSets.remaining + count)
            .execution_options(synchronize_session=False)
        )
    _refresh_sets(session, carnet)


def _refresh_sets(session: Session, carnet: Carnet) -> None:
    for s in carnet.sets:
        session.refresh(s)
