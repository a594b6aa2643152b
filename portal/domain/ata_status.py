"""Each country's ATA status (F-70): paper, or digital from a date — with its history.

The Customs Preparation Guide's steps, as operator actions (`flask ata-status …`):

1. `announce_provisional` — a provisional digital date (step 1). The country stays paper.
2. `confirm_digital` — the date confirmed (step 5). Global Transition Plan §6: "the
   notification takes effect after 3 months from the date of receipt", so the digital date
   must be at least three months after the notification (`check_notice`). There is no
   override: neither guide allows a shorter notice; a country that is late announces a new
   provisional date and confirms it again three months ahead.
3. `withdraw_digital_date` — the provisional or confirmed date withdrawn before it takes effect
   (preparations not complete on time). A country already digital cannot go back to paper:
   neither guide provides for it.

Every change applies to the whole customs territory (the EU's members switch together: Plan §6
"Contracting Parties to one Customs Union shift at the same time"), adds one
`AtaStatusChange` row per country (the history), an audit event, and an outbox email to the
administrators of every customs administration and to every NGA (Plan §6: WCO and ICC notify
the Contracting Parties and the NGA/IA network).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError, audit, outbox
from portal.domain.api_clients import OPERATOR, Actor
from portal.domain.rules import add_months
from portal.i18n import fmt_date as fmt_day
from portal.i18n import with_locale
from portal.models import (
    NGA,
    Account,
    AtaStatusChange,
    Country,
    CustomsAdministration,
    CustomsTerritory,
)

NOTICE_MONTHS = 3


def status_on(country: Country, day: dt.date) -> str:
    """'digital', 'paper' or 'none' (not an ATA country) on `day`."""
    if country.ata_status == "none":
        return "none"
    return "digital" if country.is_digital_on(day) else "paper"


def is_digital(session: Session, country_code: str, day: dt.date) -> bool:
    country = session.get(Country, country_code)
    return country is not None and country.is_digital_on(day)


def earliest_digital_date(notified_on: dt.date) -> dt.date:
    return add_months(notified_on, NOTICE_MONTHS)


def check_notice(digital_from: dt.date, notified_on: dt.date) -> None:
    """F-70: a digital date takes effect three months after the notification's receipt. The
    dates are quoted as the statuses table shows them (the app's date format)."""
    earliest = earliest_digital_date(notified_on)
    if digital_from < earliest:
        raise DomainError(
            _(
                "A digital date must be notified at least three months ahead: with a "
                "notification received on %(notified)s, the earliest digital date is "
                "%(earliest)s (not %(day)s).",
                notified=fmt_day(notified_on),
                earliest=fmt_day(earliest),
                day=fmt_day(digital_from),
            ),
            field="digital_from",
            code="short_notice",
        )


def _territory_countries(session: Session, country_code: str) -> list[Country]:
    """The countries of `country_code`'s customs territory, the typed country first (the
    messages name it)."""
    country = session.get(Country, (country_code or "").strip().upper())
    if country is None:
        raise DomainError(
            _("%(code)s is not a country code (two letters, like FR).", code=country_code),
            field="country",
        )
    if country.ata_status == "none":
        raise DomainError(
            _(
                "%(country)s is not a party to the ATA or Istanbul Convention.",
                country=country.name,
            ),
            field="country",
        )
    others = list(
        session.scalars(
            select(Country)
            .where(Country.territory_id == country.territory_id, Country.ata_status != "none")
            .order_by(Country.code)
        )
    )
    return [country, *(c for c in others if c.code != country.code)]


def _check_not_digital_yet(countries: list[Country], today: dt.date) -> None:
    """Refused once digital: the message names the typed country (countries[0])."""
    typed = countries[0]
    for c in countries:
        if c.is_digital_on(today):
            raise Conflict(
                _(
                    "%(country)s has been a digital country since %(day)s: its status can no "
                    "longer change.",
                    country=typed.name,
                    day=fmt_day(c.digital_from),
                )
                if c is typed
                else _(
                    "%(country)s shares its customs territory with %(other)s, a digital country "
                    "since %(day)s: its status can no longer change.",
                    country=typed.name,
                    other=c.name,
                    day=fmt_day(c.digital_from),
                ),
                field="country",
                code="already_digital",
            )


@dataclass(frozen=True)
class StatusChange:
    status: str
    countries: list[str]
    digital_from: dt.date | None
    notified_on: dt.date


def announce_provisional(
    session: Session,
    country_code: str,
    digital_from: dt.date,
    *,
    notified_on: dt.date | None = None,
    reason: str = "",
    actor: Actor = OPERATOR,
    today: dt.date | None = None,
) -> StatusChange:
    """Step 1: a provisional digital date. It must lie at least three months ahead too (the
    guide asks for five; fewer is accepted) — a date that could never be confirmed in time is
    refused now."""
    today = today or now_utc().date()
    notified_on = notified_on or today
    countries = _territory_countries(session, country_code)
    _check_not_digital_yet(countries, today)
    check_notice(digital_from, notified_on)
    for c in countries:
        c.ata_status, c.digital_from, c.provisional_from = "paper", None, digital_from
    return _changed(session, countries, "provisional", digital_from, notified_on, reason, actor)


def confirm_digital(
    session: Session,
    country_code: str,
    digital_from: dt.date | None = None,
    *,
    notified_on: dt.date | None = None,
    reason: str = "",
    actor: Actor = OPERATOR,
    today: dt.date | None = None,
) -> StatusChange:
    """Step 5: the provisional date confirmed, at least three months before it."""
    today = today or now_utc().date()
    notified_on = notified_on or today
    countries = _territory_countries(session, country_code)
    _check_not_digital_yet(countries, today)
    provisional = countries[0].provisional_from
    if provisional is None:
        raise Conflict(
            _(
                "%(country)s has no provisional digital date: announce one first.",
                country=countries[0].name,
            ),
            field="country",
            code="no_provisional_date",
        )
    digital_from = digital_from or provisional
    if digital_from != provisional:
        raise Conflict(
            _(
                "The provisional digital date is %(provisional)s: confirm that date, or "
                "announce %(day)s as the new provisional date first.",
                provisional=fmt_day(provisional),
                day=fmt_day(digital_from),
            ),
            field="digital_from",
            code="not_the_provisional_date",
        )
    check_notice(digital_from, notified_on)
    for c in countries:
        c.ata_status, c.digital_from, c.provisional_from = "digital", digital_from, None
        c.status_notified_on = notified_on
    return _changed(session, countries, "digital", digital_from, notified_on, reason, actor)


def withdraw_digital_date(
    session: Session,
    country_code: str,
    *,
    reason: str,
    notified_on: dt.date | None = None,
    actor: Actor = OPERATOR,
    today: dt.date | None = None,
) -> StatusChange:
    """The announced or confirmed date withdrawn before it takes effect: paper again."""
    today = today or now_utc().date()
    notified_on = notified_on or today
    if not (reason or "").strip():
        raise DomainError(_("Give the reason the digital date is withdrawn."), field="reason")
    countries = _territory_countries(session, country_code)
    _check_not_digital_yet(countries, today)
    if all(c.provisional_from is None and c.digital_from is None for c in countries):
        raise Conflict(
            _("%(country)s has no digital date to withdraw.", country=countries[0].name),
            field="country",
            code="no_date",
        )
    for c in countries:
        c.ata_status, c.digital_from, c.provisional_from = "paper", None, None
    return _changed(session, countries, "paper", None, notified_on, reason, actor)


def _changed(
    session: Session,
    countries: list[Country],
    status: str,
    digital_from: dt.date | None,
    notified_on: dt.date,
    reason: str,
    actor: Actor,
) -> StatusChange:
    codes = [c.code for c in countries]
    for c in countries:
        session.add(
            AtaStatusChange(
                country_code=c.code,
                status=status,
                digital_from=digital_from,
                notified_on=notified_on,
                reason=(reason or "").strip(),
                actor_label=actor.label,
            )
        )
    audit.record(
        session,
        "ata_status.changed",
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        ip=actor.ip,
        object_type="country",
        object_id=countries[0].code if len(codes) == 1 else _named(countries),
        data={
            "status": status,
            "countries": codes,
            "digital_from": digital_from.isoformat() if digital_from else None,
            "notified_on": notified_on.isoformat(),
            "reason": (reason or "").strip(),
        },
    )
    change = StatusChange(status, codes, digital_from, notified_on)
    notify_network(session, countries, change)
    session.flush()
    return change


def _named(countries: list[Country]) -> str:
    """The audit object of a change to a whole territory: its code (e.g. EU)."""
    territory = countries[0].territory
    return territory.code if territory is not None else countries[0].code


def notice_text(countries: list[Country], change: StatusChange) -> tuple[str, str]:
    """Subject and body of the notice, in the language of the block it is called in."""
    names = ", ".join(c.name for c in countries[:5])
    if len(countries) > 5:
        names = _("%(names)s and %(count)s more", names=names, count=len(countries) - 5)
    day = fmt_day(change.digital_from)
    if change.status == "provisional":
        subject = _("ATA status: provisional digital date for %(names)s", names=names)
        body = _(
            "%(names)s announced a provisional digital date: %(day)s. Until it is confirmed "
            "(at least three months ahead) the paper procedure applies.",
            names=names,
            day=day,
        )
    elif change.status == "digital":
        subject = _("ATA status: %(names)s digital from %(day)s", names=names, day=day)
        body = _(
            "%(names)s confirmed: from %(day)s every carnet declaration there is made digitally "
            "in the ATA Carnet System. Paper carnets already accepted before that date remain "
            "accepted for re-exportation, re-importation and transit close. Issue the right "
            "format for itineraries crossing it.",
            names=names,
            day=day,
        )
    else:
        subject = _("ATA status: %(names)s stays paper", names=names)
        body = _(
            "%(names)s withdrew its digital date: the paper procedure applies until further "
            "notice.",
            names=names,
        )
    notified = _("Notified on %(day)s.", day=fmt_day(change.notified_on))
    return subject, f"{body}\n\n{notified}"


def notify_network(session: Session, countries: list[Country], change: StatusChange) -> int:
    """One outbox email to each customs administration's administrators and to each NGA."""
    texts: dict[str, tuple[str, str]] = {}

    def text_in(lang: str) -> tuple[str, str]:
        if lang not in texts:
            with with_locale(lang):
                texts[lang] = notice_text(countries, change)
        return texts[lang]

    rows = session.execute(
        select(Account.email, Account.customs_id, Account.language)
        .join(CustomsAdministration, CustomsAdministration.id == Account.customs_id)
        .where(
            Account.role == "admin",
            Account.active.is_(True),
            CustomsAdministration.active.is_(True),
        )
        .order_by(Account.id)
    ).all()
    sent = 0
    for email, customs_id, lang in rows:
        outbox.add_email(session, email, *text_in(lang or "en"), customs_id=customs_id)
        sent += 1
    for (email,) in session.execute(
        select(NGA.email).where(NGA.active.is_(True), NGA.email != "").order_by(NGA.id)
    ):
        outbox.add_email(session, email, *text_in("en"))
        sent += 1
    return sent


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountryStatus:
    code: str
    name: str
    territory: str
    status: str  # on the day asked: 'digital' or 'paper'
    digital_from: dt.date | None  # confirmed
    provisional_from: dt.date | None
    notified_on: dt.date | None


def status_list(session: Session, day: dt.date | None = None) -> list[CountryStatus]:
    """The published list (Plan §6): every ATA country, its status on `day` and its dates."""
    day = day or now_utc().date()
    rows = session.execute(
        select(Country, CustomsTerritory.code)
        .join(CustomsTerritory, CustomsTerritory.id == Country.territory_id)
        .where(Country.ata_status != "none")
        .order_by(Country.name)
    ).all()
    return [
        CountryStatus(
            c.code,
            c.name,
            territory,
            status_on(c, day),
            c.digital_from if c.ata_status == "digital" else None,
            c.provisional_from,
            c.status_notified_on,
        )
        for c, territory in rows
    ]


def history(session: Session, country_code: str) -> list[AtaStatusChange]:
    return list(
        session.scalars(
            select(AtaStatusChange)
            .where(AtaStatusChange.country_code == country_code.upper())
            .order_by(AtaStatusChange.created_at, AtaStatusChange.id)
        )
    )
