"""Paper and digital countries side by side (F-71 … F-74): the Global Transition Plan's use
cases as named rules (docs/transition.md).

| Plan | Rule here |
|---|---|
| §7 table, use cases 1–6: which format to issue | `advise` (F-71) |
| a digital carnet is used only in digital countries | `digital_legs` (the travel's vouchers) |
| use case 2: "all digital carnets automatically validated" | `validated_automatically` (F-73) |
| §8: paper carnets accepted before a switch stay accepted for re-exportation, re-importation, transit close | `check_paper_accepted` (F-72) |
| use cases 2, 4–6: the carnet's history made whole | `record_paper_transaction` |
| use cases 2, 4: "check both paper and digital transaction records to discharge" | `discharge_view` (F-74) |
| use cases 1, 2, 4: "… to discharge or maintain the security" | `goods_away` (F-74) |

The ATA statuses themselves (paper / digital from a date) are portal/domain/ata_status.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError, archive, audit
from portal.domain.ata_status import status_on
from portal.domain.carnets import ValidationFailed, fmt_date, paper_validation
from portal.domain.organisation.fields import Fields
from portal.domain.rules import HOME_KINDS, KIND_LABELS, Place, label, territory_of
from portal.models import Carnet, Country, PaperTransaction, Voucher

# --- F-71: which format to issue ---------------------------------------------------------------

# the words of a leg's role and of a country's status (the values stay machine codes)
LEG_ROLE_LABELS = {
    "departure": _l("departure"),
    "destination": _l("destination"),
    "transit": _l("transit"),
}
ATA_STATE_LABELS = {"digital": _l("digital"), "paper": _l("paper")}

FORMAT_LABELS = {
    "paper": _l("a paper carnet (its eATA ID and PIN are not given to the holder)"),
    "paper_clone": _l("a paper carnet with its eATA ID and PIN (its digital clone, same number)"),
    "twin": _l("twin carnets: a paper one and a digital one, their numbers cross-referenced"),
    "digital": _l("a digital carnet only (eATA ID and PIN, no paper)"),
}


@dataclass(frozen=True)
class Leg:
    country: str
    name: str
    role: str  # departure, destination, transit
    day: dt.date
    status: str  # paper / digital on that day
    carnet: str  # which carnet is presented there: 'paper' or 'digital'
    why: str


@dataclass(frozen=True)
class Advice:
    use_case: int
    format: str  # the format to issue: paper, paper_clone, digital
    options: list[str]  # every acceptable format (use cases 5 and 6: clone or twin)
    legs: list[Leg] = field(default_factory=list)
    reason: str = ""


USE_CASES = {
    1: _l("from a paper country to paper countries only"),
    2: _l("from a paper country to digital countries only"),
    3: _l("from a digital country to digital countries only"),
    4: _l("from a digital country to paper countries only"),
    5: _l("from a paper country to both paper and digital countries"),
    6: _l("from a digital country to both paper and digital countries"),
}
REASONS = {
    1: _l("Issue a paper carnet as before; do not give the holder the eATA ID and PIN."),
    2: _l(
        "Issue a paper carnet with its eATA ID and PIN: the paper carnet is used at home, "
        "the digital one (validated automatically) abroad."
    ),
    3: _l("Issue a digital carnet: every country of the itinerary is digital."),
    4: _l(
        "Issue a paper carnet with its eATA ID and PIN: the departure office validates "
        "both, the exportation and re-importation are digital, the paper carnet is used abroad."
    ),
    5: _l(
        "Option 1: a paper carnet with its eATA ID and PIN (digital clone, same number); "
        "option 2: twin carnets, paper and digital, cross-referenced."
    ),
    6: _l(
        "Option 1: a paper carnet with its eATA ID and PIN (digital clone, same number); "
        "option 2: twin carnets, paper and digital, cross-referenced. The departure office "
        "stamps the paper cover and validates the digital carnet."
    ),
}


def use_case(departure_digital: bool, abroad: list[bool]) -> int:
    """The plan's §7 table: departure paper/digital × destinations paper / digital / both."""
    any_digital, any_paper = any(abroad), not all(abroad)
    if not departure_digital:
        return 5 if any_digital and any_paper else (2 if any_digital else 1)
    return 6 if any_digital and any_paper else (3 if any_digital else 4)


def advise(
    session: Session,
    departure: str,
    visits: list[tuple[str, dt.date | None, str]],
    *,
    departure_day: dt.date | None = None,
) -> Advice:
    """F-71. `visits`: (country, date, role 'destination' or 'transit'); a missing date is the
    departure day. Each country's status is read on its own date, so a trip crossing a switch
    date is advised by the status in force when the holder is there."""
    today = now_utc().date()
    departure_day = departure_day or today
    dep = _ata_country(session, departure, "departure_country")
    if not visits:
        raise DomainError(_("Name at least one country to visit or cross."), field="visits")
    legs: list[Leg] = []
    dep_status = status_on(dep, departure_day)
    legs.append(
        Leg(
            dep.code,
            dep.name,
            "departure",
            departure_day,
            dep_status,
            dep_status,
            _(
                "%(country)s is a digital country on %(day)s: validation, exportation and "
                "re-importation there are made on the digital carnet.",
                country=dep.name,
                day=fmt_date(departure_day),
            )
            if dep_status == "digital"
            else _(
                "%(country)s is a paper country on %(day)s: validation, exportation and "
                "re-importation there are made on the paper carnet.",
                country=dep.name,
                day=fmt_date(departure_day),
            ),
        )
    )
    abroad: list[bool] = []
    home_territory = dep.territory_id
    for i, (code, day, role) in enumerate(visits):
        if role not in ("destination", "transit"):
            raise DomainError(
                _("A country is visited as a destination or in transit."), field="visits"
            )
        c = _ata_country(session, code, f"visits[{i}]")
        if c.territory_id == home_territory:
            raise DomainError(
                _("%(country)s is in the departure customs territory.", country=c.name),
                field=f"visits[{i}]",
            )
        day = day or departure_day
        if day < departure_day:
            raise DomainError(
                _(
                    "The date in %(country)s is before the departure (%(day)s).",
                    country=c.name,
                    day=fmt_date(departure_day),
                ),
                field=f"visits[{i}]",
            )
        status = status_on(c, day)
        abroad.append(status == "digital")
        what = _("importation and re-exportation") if role == "destination" else _("transit")
        values = {"country": c.name, "day": fmt_date(day), "what": what}
        if status == "digital":
            why = _(
                "%(country)s is digital on %(day)s: %(what)s with the digital carnet.", **values
            )
        elif c.digital_from and c.digital_from > day:
            why = _(
                "%(country)s is still paper on %(day)s (digital from %(from)s): %(what)s on the "
                "paper carnet.",
                **values,
                **{"from": fmt_date(c.digital_from)},
            )
        else:
            why = _(
                "%(country)s is a paper country on %(day)s: %(what)s on the paper carnet.", **values
            )
        legs.append(Leg(c.code, c.name, role, day, status, status, why))
    case = use_case(dep_status == "digital", abroad)
    options = {
        1: ["paper"],
        2: ["paper_clone"],
        3: ["digital"],
        4: ["paper_clone"],
        5: ["paper_clone", "twin"],
        6: ["paper_clone", "twin"],
    }[case]
    reason = _(
        "Use case %(case)s (%(what)s). %(reason)s",
        case=case,
        what=USE_CASES[case],
        reason=REASONS[case],
    )
    return Advice(case, options[0], options, legs, reason)


def _ata_country(session: Session, code: str, field_name: str) -> Country:
    country = session.get(Country, (code or "").strip().upper()) if isinstance(code, str) else None
    if country is None:
        raise DomainError(
            _("%(code)s is not an ISO 3166 country code.", code=repr(code)), field=field_name
        )
    if country.ata_status == "none":
        raise DomainError(
            _("%(country)s does not accept ATA carnets.", country=country.name), field=field_name
        )
    return country


def paper_countries_on(session: Session, codes: list[str], day: dt.date) -> list[Country]:
    """The countries of `codes` still paper on `day` (the wallet's warning)."""
    out = []
    for code in codes:
        c = session.get(Country, code)
        if c is not None and c.ata_status != "none" and not c.is_digital_on(day):
            out.append(c)
    return out


# --- the travel's vouchers: digital countries only ---------------------------------------------


def digital_legs(
    session: Session,
    kinds_countries: list[tuple[str, str]],
    day: dt.date,
    carnet: Carnet | None = None,
) -> list[tuple[str, str]]:
    """A digital carnet's vouchers are for digital countries: a transaction in a country still
    paper on `day` is made on the paper carnet (use cases 2, 4–6). The re-importation of goods
    that left home on the paper carnet is made on it too, even once home has switched (F-72).
    A travel with no digital transaction at all is made on paper entirely (use case 1)."""
    paper_return = carnet is not None and departed_on_paper(session, carnet)
    # goods that left home on the paper carnet (a recorded paper exportation, not back since)
    # are abroad: the travel starts from there, with no validation or exportation at home
    # (F-72; Plan §8: home accepts that paper carnet for its re-importation only)
    out_on_paper = carnet is not None and left_home_on_paper(session, carnet)
    out = [
        (k, c)
        for k, c in kinds_countries
        if _digital(session, c, day)
        and not (k == "reimport" and paper_return)
        and not (k in ("validation", "export", "pre_export") and out_on_paper)
    ]
    if not out:
        names = ", ".join(sorted({_name(session, c) for _, c in kinds_countries}))
        raise DomainError(
            _(
                "Every transaction of this travel (%(names)s) is made with the paper carnet: no digital voucher is needed.",
                names=names,
            ),
            field="destination_country",
            code="paper_only",
        )
    return out


def departed_on_paper(session: Session, carnet: Carnet) -> bool:
    """The carnet was validated on paper (automatically, use case 2, or a recorded paper
    validation) and nothing left home digitally since."""
    if carnet.activated_at is None:
        return False
    t = archive.store_of(carnet).txn
    return (
        session.scalar(
            select(t.id)
            .where(
                t.carnet_id == carnet.id,
                t.kind.in_(("validation", "export")),
                t.state == "committed",
            )
            .limit(1)
        )
        is None
    )


def left_home_on_paper(session: Session, carnet: Carnet) -> bool:
    """The goods left home on the paper carnet: a recorded paper exportation with no
    re-importation (paper or digital) on or after its day (goods_away's movements)."""
    return any(
        h.medium == "paper" and h.kind == "export" for h in _away(discharge_view(session, carnet))
    )


def _digital(session: Session, code: str, day: dt.date) -> bool:
    c = session.get(Country, code)
    return c is not None and c.is_digital_on(day)


def _name(session: Session, code: str) -> str:
    c = session.get(Country, code)
    return c.name if c else code


# --- F-73: automatic validation (use case 2) ---------------------------------------------------


def validated_automatically(session: Session, carnet: Carnet, kind: str, today: dt.date) -> bool:
    """Use case 2: a digital carnet whose departure country is a paper country was validated on
    its paper cover there; the system validates the digital carnet automatically at its first
    transaction abroad. True when this commit does that."""
    if carnet.activated_at is not None or kind in HOME_KINDS:
        return False
    return not _digital(session, carnet.departure_country, today)


# --- F-72 and the recorded paper transactions ---------------------------------------------------

OPENING = {"reexport": "import", "reimport": "export", "transit_close": "transit_open"}
PAPER_KIND_LABELS = {  # lazy: each reader sees them in their language
    k: KIND_LABELS[k]
    for k in (
        "validation",
        "export",
        "import",
        "reexport",
        "reimport",
        "transit_open",
        "transit_close",
    )
}


def check_paper_accepted(
    session: Session, carnet: Carnet, kind: str, country: Country, made_on: dt.date
) -> None:
    """Which transactions a digital country still makes on a paper carnet (Plan §4, §8):
    - in a country that was paper on that day: all of them;
    - the validation of a carnet departing from it (use cases 4 and 6: the departure office
      stamps the paper cover so the carnet is recognised in paper destinations);
    - re-exportation, re-importation and transit close of a paper carnet already accepted there
      before the switch (F-72: its importation, exportation or transit open made on paper
      before the digital date — recorded, or for a re-importation the carnet validated on
      paper before it).
    Anything else in a digital country is made with the digital carnet."""
    if not country.is_digital_on(made_on):
        return
    switch = country.digital_from
    assert switch is not None
    home = territory_of(session, carnet.departure_country) == country.territory_id
    if kind == "validation" and home:
        return
    if kind in OPENING:
        opened = session.scalar(
            select(PaperTransaction.id)
            .where(
                PaperTransaction.carnet_id == carnet.id,
                PaperTransaction.kind == OPENING[kind],
                PaperTransaction.territory_id == country.territory_id,
                PaperTransaction.made_on < switch,
            )
            .limit(1)
        )
        left_on_paper = (
            kind == "reimport"
            and home
            and carnet.activated_at is not None
            and carnet.activated_at.date() < switch
            and departed_on_paper(session, carnet)
        )
        if opened is not None or left_on_paper:
            return
        raise Conflict(
            _(
                "%(name)s has been a digital country since %(date)s: a paper carnet is accepted there for %(kind)s only when its %(kind2)s was made there on paper before that date. Record that %(kind2)s first, or use the digital carnet.",
                name=country.name,
                date=fmt_date(switch),
                kind=label(kind),
                kind2=label(OPENING[kind]),
            ),
            field="kind",
            code="paper_not_accepted",
        )
    raise Conflict(
        _(
            "%(name)s has been a digital country since %(date)s: a new %(kind)s there is made with the digital carnet, not on paper.",
            name=country.name,
            date=fmt_date(switch),
            kind=label(kind),
        ),
        field="kind",
        code="paper_not_accepted",
    )


@dataclass(frozen=True)
class PaperInput:
    kind: str
    country_code: str
    office_name: str
    made_on: dt.date | None  # None: no date, or not one (refused next to the date field)
    counterfoil_no: str
    remarks: str = ""

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> PaperInput:
        """The paper transaction of a page's form (_partials/paper_transaction_form.html: the
        customs desk's step 2 and the chamber portal's carnet page). Nothing is refused here:
        `check_paper_input` refuses every field at once, each next to its own field."""
        raw = (form.get("made_on") or "").strip()
        try:
            made_on = dt.date.fromisoformat(raw) if len(raw) == 10 else None
        except ValueError:
            made_on = None
        return cls(
            form.get("kind") or "",
            form.get("country_code") or "",
            form.get("office_name") or "",
            made_on,
            form.get("counterfoil_no") or "",
        )

    @classmethod
    def from_api(cls, body: dict) -> PaperInput:
        """The paper transaction of an API body (NICS and customs APIs, schema-checked)."""
        try:
            made_on = dt.date.fromisoformat(body["made_on"])
        except ValueError:
            raise ValidationFailed(
                [{"field": "made_on", "message": "Must be a date (YYYY-MM-DD)."}]
            ) from None
        return cls(
            body["kind"],
            body["country"],
            body["office"],
            made_on,
            body["counterfoil_no"],
            body.get("remarks", ""),
        )


# the API bodies' names of PaperInput's fields (NICS and customs APIs: PaperTransactionInput)
API_FIELDS = {"country_code": "country", "office_name": "office", "": "body"}


def api_field_errors(error: DomainError) -> list[dict]:
    """A refusal of the paper input as an API's `errors`: each field under the name the
    request's body gives it (`country`, not the domain's `country_code`)."""
    return [{"field": API_FIELDS.get(f, f), "message": m} for f, m in error.by_field().items()]


def check_paper_input(
    session: Session, carnet: Carnet, data: PaperInput, today: dt.date
) -> tuple[Country, dt.date]:
    """The recorded paper transaction's fields: every refusal at once, each naming its own
    field (a DomainError, or organisation.Invalid when several fields are refused); the
    country and the date when all are right."""
    fields = Fields()
    if data.kind not in PAPER_KIND_LABELS:
        fields.refuse("kind", _("Choose the kind of transaction."))
    country = session.get(Country, (data.country_code or "").strip().upper()[:3])
    if country is None:
        fields.refuse("country_code", _("Choose the country where it was made."))
    office = (data.office_name or "").strip()
    if not office or len(office) > 160:
        fields.refuse("office_name", _("Give the customs office (at most 160 characters)."))
    made_on = data.made_on
    if made_on is None:
        fields.refuse("made_on", _("Give the date of the transaction."))
    elif made_on > today:
        fields.refuse("made_on", _("The date cannot be in the future."))
    elif made_on < carnet.issue_date:
        fields.refuse(
            "made_on",
            _(
                "The date is before the carnet's issue (%(date)s).",
                date=fmt_date(carnet.issue_date),
            ),
        )
    number = (data.counterfoil_no or "").strip()
    if not number or len(number) > 40:
        fields.refuse(
            "counterfoil_no",
            _("Give the counterfoil or voucher number (at most 40 characters)."),
        )
    if len(data.remarks or "") > 2000:
        fields.refuse("remarks", _("The remarks are too long (2,000 characters at most)."))
    if country is not None and "kind" not in fields.errors:
        fields.check("country_code", lambda: _check_where(session, carnet, data.kind, country))
    fields.done()
    assert country is not None and made_on is not None
    return country, made_on


def _check_where(session: Session, carnet: Carnet, kind: str, country: Country) -> None:
    """A validation, exportation or re-importation is made at home; the rest abroad, in a
    country of Box P."""
    home = territory_of(session, carnet.departure_country) == country.territory_id
    if kind in HOME_KINDS and not home:
        raise DomainError(
            _(
                "This transaction (%(kind)s) is made in the carnet's departure country, not "
                "in %(name)s.",
                kind=label(kind),
                name=country.name,
            ),
            field="country_code",
        )
    if kind not in HOME_KINDS:
        if home:
            raise DomainError(
                _(
                    "This transaction (%(kind)s) is made abroad, not in the departure country.",
                    kind=label(kind),
                ),
                field="country_code",
            )
        box_p = {territory_of(session, c.country_code) for c in carnet.countries}
        if country.territory_id not in box_p:
            raise DomainError(
                _(
                    "This carnet is not valid in %(name)s: it is not listed in Box P.",
                    name=country.name,
                ),
                field="country_code",
            )


def record_paper_transaction(
    session: Session,
    carnet: Carnet,
    data: PaperInput,
    *,
    place: Place | None,
    recorded_by: str,
    actor_type: str = "account",
    ip: str | None = None,
    today: dt.date | None = None,
) -> PaperTransaction:
    """A digital office (or the issuing association at discharge) records a transaction made on
    the paper carnet, so the carnet's history is whole. A paper validation in a paper departure
    country validates the digital carnet too (use case 2). The caller commits."""
    today = today or now_utc().date()
    if carnet.status in ("cancelled", "discharged"):
        raise Conflict(
            (
                _(
                    "Carnet %(number)s has been cancelled: nothing can be recorded.",
                    number=carnet.carnet_number,
                )
                if carnet.status == "cancelled"
                else _(
                    "Carnet %(number)s has been discharged: nothing can be recorded.",
                    number=carnet.carnet_number,
                )
            ),
            code=f"carnet_{carnet.status}",
        )
    archive.check_open(carnet)  # closed and archived: its history is final
    country, made_on = check_paper_input(session, carnet, data, today)
    check_paper_accepted(session, carnet, data.kind, country, made_on)
    if data.kind == "validation" and paper_validation(session, carnet) is not None:
        raise Conflict(_("The paper validation of this carnet is recorded already."), field="kind")
    row = PaperTransaction(
        carnet_id=carnet.id,
        kind=data.kind,
        country_code=country.code,
        territory_id=country.territory_id,
        office_name=data.office_name.strip(),
        made_on=made_on,
        counterfoil_no=data.counterfoil_no.strip(),
        remarks=(data.remarks or "").strip(),
        customs_id=place.customs_id if place else None,
        office_id=place.office_id if place else None,
        account_id=place.account_id if place else None,
        recorded_by=recorded_by[:254],
    )
    session.add(row)
    activated = False
    if (
        data.kind == "validation"
        and carnet.activated_at is None
        and not country.is_digital_on(made_on)
    ):
        carnet.activated_at = dt.datetime.combine(made_on, dt.time())
        carnet.status = "active" if carnet.status == "issued" else carnet.status
        activated = True
    session.flush()
    session.expire(carnet, ["paper_validated"])  # Carnet.effective_status reads it
    audit.record(
        session,
        "paper_transaction.recorded",
        actor_type=actor_type,
        actor_id=place.account_id if place else None,
        actor_label=recorded_by,
        customs_id=place.customs_id if place else None,
        ip=ip,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={
            "paper_transaction": row.id,
            "kind": data.kind,
            "country": country.code,
            "office": row.office_name,
            "made_on": made_on.isoformat(),
            "counterfoil_no": row.counterfoil_no,
            "activated": activated,
        },
    )
    return row


def paper_transactions(session: Session, carnet: Carnet) -> list[PaperTransaction]:
    return list(
        session.scalars(
            select(PaperTransaction)
            .where(PaperTransaction.carnet_id == carnet.id)
            .order_by(PaperTransaction.made_on, PaperTransaction.id)
        )
    )


# --- F-74: discharge -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryLine:
    day: dt.date
    medium: str  # 'digital' or 'paper'
    kind: str
    country_code: str
    office: str
    reference: str  # paper: the counterfoil number; digital: the customs reference
    state: str  # committed / cancelled / recorded


@dataclass(frozen=True)
class DischargeView:
    lines: list[HistoryLine]
    open_vouchers: int  # unused digital vouchers, blocked at discharge


_TRIP_ORDER = {
    kind: n
    for n, kind in enumerate(
        ("validation", "export", "import", "transit_open", "transit_close", "reexport", "reimport")
    )
}


def discharge_view(session: Session, carnet: Carnet) -> DischargeView:
    """Digital and recorded paper transactions side by side, in date order and within a day in the order of a trip (F-74); an archived
    carnet's digital ones from the archive."""
    txn = archive.store_of(carnet).txn
    lines = [
        HistoryLine(
            t.committed_at.date(),
            "digital",
            t.kind,
            t.country_code,
            t.office_name,
            t.reference,
            t.state,
        )
        for t in session.scalars(
            select(txn).where(txn.carnet_id == carnet.id).order_by(txn.committed_at, txn.id)
        )
    ]
    lines += [
        HistoryLine(
            p.made_on, "paper", p.kind, p.country_code, p.office_name, p.counterfoil_no, "recorded"
        )
        for p in paper_transactions(session, carnet)
    ]
    # a paper transaction has only a day: within a day, the order a trip makes them in (a
    # paper validation and exportation before the digital importation abroad, a digital
    # re-exportation before the paper re-importation at home)
    lines.sort(key=lambda h: (h.day, _TRIP_ORDER.get(h.kind, len(_TRIP_ORDER))))
    open_vouchers = len(
        session.scalars(
            select(Voucher.id).where(
                Voucher.carnet_id == carnet.id, Voucher.state.in_(("open", "pre_exported"))
            )
        ).all()
    )
    return DischargeView(lines, open_vouchers)


def goods_away(view: DischargeView) -> HistoryLine | None:
    """The goods are not all back home: the last movement recorded (digital or paper, not
    cancelled; a validation moves nothing) when no re-importation is recorded on or after its
    day — the issuing association maintains the security rather than discharge (Plan §7, use
    cases 1, 2 and 4: "check both paper and digital transaction records to discharge or
    maintain the security"). None when nothing left home or the goods came back."""
    away = _away(view)
    return away[-1] if away else None


def _away(view: DischargeView) -> list[HistoryLine]:
    """The movements (not cancelled; a validation moves nothing) after the last re-importation."""
    moves = [h for h in view.lines if h.state != "cancelled" and h.kind != "validation"]
    back = max((h.day for h in moves if h.kind == "reimport"), default=None)
    return [h for h in moves if h.kind != "reimport" and (back is None or h.day > back)]


# --- F-71 for people: the advice form of the wallet and of the chamber portal ----------------

MAX_VISITS = 20

# the words the page's partial (_partials/itinerary_advice.html) needs besides the form
ADVICE_WORDS = {
    "labels": FORMAT_LABELS,
    "leg_roles": LEG_ROLE_LABELS,
    "ata_states": ATA_STATE_LABELS,
}


@dataclass
class AdviceForm:
    """The itinerary advice page's form read from its query arguments, and its answer."""

    values: dict[str, str]
    errors: dict[str, str]
    advice: Advice | None = None


def _form_date(raw: str) -> dt.date:
    if len(raw) != 10:
        raise ValueError(raw)
    return dt.date.fromisoformat(raw)


def advice_form(session: Session, args: Mapping[str, str]) -> AdviceForm:
    """`departure`, `destinations` and `transits` (codes separated by commas), `date` (the
    day of travel, default today) → the advice (`advise`), or the refusals per field."""
    form = AdviceForm(
        values={
            "departure": (args.get("departure") or "").strip().upper()[:2],
            "destinations": (args.get("destinations") or "")[:100],
            "transits": (args.get("transits") or "")[:100],
            "date": (args.get("date") or "")[:10],
        },
        errors={},
    )
    day = None
    if form.values["date"].strip():
        try:
            day = _form_date(form.values["date"].strip())
        except ValueError:
            form.errors["date"] = _("Give the date as YYYY-MM-DD.")
    visits = []
    for role in ("destination", "transit"):
        for code in form.values[role + "s"].replace(";", ",").split(","):
            code = code.strip().upper()
            if code:
                visits.append((code[:3], day, role))
    departure = form.values["departure"]
    if departure and not form.errors:
        if len(visits) > MAX_VISITS:
            form.errors["destinations"] = _("At most %(count)s countries.", count=MAX_VISITS)
        else:
            try:
                form.advice = advise(session, departure, visits, departure_day=day)
            except DomainError as exc:
                name = {"departure_country": "departure"}.get(exc.field or "", "destinations")
                form.errors[name] = exc.message
    return form
