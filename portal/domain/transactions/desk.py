"""What an officer does at the desk besides committing: reject the declaration (F-44a), hold
and release the carnet (F-46, R-03), put identification marks on goods (F-40 step 3), and the
office's lists (On hold, latest commits F-45, rejections)."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError, NotFound, PermissionDenied, crypto
from portal.domain.carnets import item_aad, item_marks
from portal.domain.rules import check_holds, country_name, label
from portal.domain.transactions.checks import check_voucher_state, voucher_lines
from portal.domain.transactions.locking import lock, lock_carnet
from portal.domain.transactions.notify import notify
from portal.domain.transactions.place import Officer, officer_event, place_of
from portal.i18n import fmt_datetime
from portal.models import Carnet, Hold, Rejection, Transaction, Travel

# --- rejection (F-44a) ------------------------------------------------------------------------


def reject_voucher(
    session: Session,
    voucher_id: int,
    officer: Officer,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> Rejection:
    """Reject the declaration: nothing committed, the voucher stays usable; the reason is
    visible to this territory only; the holder is told it was rejected (not why)."""
    now = now or now_utc()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the rejection."), field="reason")
    place = place_of(session, officer)
    carnet, voucher = lock(session, voucher_id)
    check_voucher_state(voucher, None)
    if voucher.territory_id is not None and voucher.territory_id != place.territory_id:
        raise DomainError(
            _(
                "This voucher is for the %(kind)s in another customs territory: it cannot be rejected in %(country_name)s.",
                kind=label(voucher.kind),
                country_name=place.country_name,
            ),
            code="wrong_place",
        )
    rejection = Rejection(
        voucher_id=voucher.id,
        carnet_id=carnet.id,
        territory_id=place.territory_id,
        customs_id=place.customs_id,
        office_id=place.office_id,
        account_id=place.account_id,
        officer_name=place.officer_name,
        office_name=place.office_name,
        reason=reason[:1000],
        at=now,
    )
    session.add(rejection)
    officer_event(
        session,
        "transaction.rejected",
        officer,
        place,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={
            "voucher_id": voucher.id,
            "kind": voucher.kind,
            "reason": reason[:1000],
            "office": place.office_name,
        },
    )
    notify(
        session,
        carnet,
        "rejected",
        voucher=voucher,
        words=lambda: (
            _("%(kind)s rejected", kind=label(voucher.kind).capitalize()),
            _(
                "Customs at %(office)s (%(country)s) rejected the %(kind)s of carnet %(number)s "
                "on %(when)s. Nothing was committed; ask the officer what to correct.",
                office=place.office_name,
                country=country_name(session, place.country_code),
                kind=label(voucher.kind),
                number=carnet.carnet_number,
                when=fmt_datetime(now),
            ),
        ),
        email=True,
    )
    session.flush()
    return rejection


def rejections_for(session: Session, carnet_id: int, territory_id: int) -> list[Rejection]:
    return list(
        session.scalars(
            select(Rejection)
            .where(Rejection.carnet_id == carnet_id, Rejection.territory_id == territory_id)
            .order_by(Rejection.at.desc())
        )
    )


# --- holds (F-46, R-03) -----------------------------------------------------------------------

MAX_HOLD_REFERENCE = 100


def hold_carnet(
    session: Session,
    voucher_id: int,
    officer: Officer,
    reason: str,
    *,
    reference: str = "",
    now: dt.datetime | None = None,
) -> Hold:
    """Hold the transaction: the carnet is blocked for every transaction in this customs
    territory until an officer of the same office releases it. `reference`: the customs
    reference of the hold (a case or seizure number), shown on the On hold list."""
    now = now or now_utc()
    reason = (reason or "").strip()
    reference = (reference or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for holding the carnet."), field="reason")
    if len(reference) > MAX_HOLD_REFERENCE:
        raise DomainError(
            _(
                "The customs reference is too long: at most %(max)s characters.",
                max=MAX_HOLD_REFERENCE,
            ),
            field="reference",
        )
    place = place_of(session, officer)
    carnet, voucher = lock(session, voucher_id)
    check_voucher_state(voucher, None)
    check_holds(session, carnet, place)
    hold = Hold(
        carnet_id=carnet.id,
        voucher_id=voucher.id,
        territory_id=place.territory_id,
        customs_id=place.customs_id,
        office_id=place.office_id,
        account_id=place.account_id,
        held_by=place.officer_name,
        office_name=place.office_name,
        reason=reason[:1000],
        reference=reference,
        held_at=now,
    )
    session.add(hold)
    officer_event(
        session,
        "carnet.held",
        officer,
        place,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={
            "voucher_id": voucher.id,
            "kind": voucher.kind,
            "reason": reason[:1000],
            "reference": reference,
            "office": place.office_name,
        },
    )
    session.flush()
    return hold


def release_hold(
    session: Session, hold_id: int, officer: Officer, *, now: dt.datetime | None = None
) -> Hold:
    now = now or now_utc()
    place = place_of(session, officer)
    hold = session.get(Hold, hold_id)
    if hold is None or hold.territory_id != place.territory_id:
        raise NotFound(_("No such hold."))
    lock_carnet(session, hold.carnet_id)
    session.refresh(hold)
    if hold.released_at is not None:
        raise Conflict(
            _(
                "This hold was already released on %(when)s by %(released_by)s.",
                when=hold.released_at.strftime("%d/%m/%Y %H:%M UTC"),
                released_by=hold.released_by,
            ),
            code="already_released",
        )
    if hold.office_id != place.office_id:
        raise PermissionDenied(
            _(
                "Only an officer of %(office_name)s, where the carnet was held, can release it.",
                office_name=hold.office_name,
            )
        )
    hold.released_at = now
    hold.released_by_account_id = place.account_id
    hold.released_by = place.officer_name
    carnet = session.get(Carnet, hold.carnet_id)
    assert carnet is not None  # the hold's foreign key
    officer_event(
        session,
        "carnet.released",
        officer,
        place,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={"hold_id": hold.id, "office": place.office_name},
    )
    session.flush()
    return hold


def holds_of(
    session: Session,
    *,
    territory_id: int | None = None,
    office_id: int | None = None,
    active: bool = True,
) -> list[Hold]:
    """The "On hold" list of an office or a territory, newest first."""
    cond = []
    if territory_id is not None:
        cond.append(Hold.territory_id == territory_id)
    if office_id is not None:
        cond.append(Hold.office_id == office_id)
    if active:
        cond.append(Hold.released_at.is_(None))
    return list(session.scalars(select(Hold).where(*cond).order_by(Hold.held_at.desc())))


def last_commits(session: Session, office_id: int, limit: int = 20) -> list[Transaction]:
    """F-45: the office's latest commits, newest first."""
    return list(
        session.scalars(
            select(Transaction)
            .where(Transaction.office_id == office_id)
            .order_by(Transaction.committed_at.desc(), Transaction.id.desc())
            .limit(limit)
        )
    )


# --- identification marks at the desk (F-40 step 3) ------------------------------------------

MAX_MARKS = 200


def mark_goods(
    session: Session,
    voucher_id: int,
    officer: Officer,
    marks: dict[int, str],
    *,
    now: dt.datetime | None = None,
) -> list[int]:
    """The officer puts identification marks on goods of the voucher being processed ("Check
    goods and put identification marks if required"). Only items this voucher clears; a blank
    mark leaves the item as it was. Returns the item numbers changed."""
    now = now or now_utc()
    place = place_of(session, officer)
    carnet, voucher = lock(session, voucher_id)
    check_voucher_state(voucher, None)
    allowed = {item.item_no: item for item, _ in voucher_lines(session, carnet, voucher)}
    changed = []
    for no, text in sorted(marks.items()):
        text = (text or "").strip()
        if not text:
            continue
        item = allowed.get(int(no))
        if item is None:
            raise DomainError(
                _("Item %(no)s is not among the goods of this voucher.", no=no), field=f"marks_{no}"
            )
        if len(text) > MAX_MARKS:
            raise DomainError(
                _("Item %(no)s: at most %(MAX_MARKS)s characters.", no=no, MAX_MARKS=MAX_MARKS),
                field=f"marks_{no}",
            )
        if text == (item_marks(carnet, item) or ""):
            continue
        item.marks_enc = crypto.encrypt(text, item_aad(carnet.eata_id, item.item_no, "marks"))
        changed.append(item.item_no)
    if changed:
        carnet.updated_at = now
        officer_event(
            session,
            "carnet.goods_marked",
            officer,
            place,
            object_type="carnet",
            object_id=carnet.eata_id,
            data={"voucher_id": voucher.id, "items": changed, "office": place.office_name},
        )
    session.flush()
    return changed


# --- quick edits of the holder's fields at the desk (F-40 step 3, the guide's Update) -------

TRANSPORT_MODES = ("air", "sea", "land")
# what the officer may amend: the travel's holder-filled fields (the wallet's names)
AMENDABLE = {
    "transport_mode": _l("means of transport"),
    "packaging_details": _l("packaging details"),
    "extra_details": _l("holder remarks"),
}
MAX_AMENDED = 500


def amend_travel(
    session: Session,
    voucher_id: int,
    officer: Officer,
    values: dict[str, str],
    *,
    now: dt.datetime | None = None,
) -> dict[str, list[str]]:
    """The officer's quick change of the fields the holder filled in (the guide's step 3:
    "other fields might be already populated by the holder … the officer can apply quick
    changes from here using the Update button"): means of transport, packaging details, holder
    remarks. Only while the voucher can still be committed; recorded as the officer's change
    (audit `travel.amended`, old and new values) and, at the commit, on the transaction (its
    receipt shows them). Returns {field: [old, new]} of what changed."""
    now = now or now_utc()
    place = place_of(session, officer)
    carnet, voucher = lock(session, voucher_id)
    check_voucher_state(voucher, None)
    travel = session.get(Travel, voucher.travel_id)
    assert travel is not None  # the voucher's foreign key
    changes: dict[str, list[str]] = {}
    for name, value in values.items():
        if name not in AMENDABLE:
            raise DomainError(
                _("The field “%(name)s” cannot be changed here.", name=name), field=name
            )
        value = " ".join((value or "").split())
        if name == "transport_mode" and value not in TRANSPORT_MODES:
            raise DomainError(_("Choose air, sea or land."), field=name)
        if len(value) > MAX_AMENDED:
            raise DomainError(
                _(
                    "The %(what)s: at most %(max)s characters.",
                    what=AMENDABLE[name],
                    max=MAX_AMENDED,
                ),
                field=name,
            )
        old = getattr(travel, name) or ""
        if value != old:
            changes[name] = [old, value]
            setattr(travel, name, value)
    if changes:
        travel.updated_at = now
        officer_event(
            session,
            "travel.amended",
            officer,
            place,
            object_type="carnet",
            object_id=carnet.eata_id,
            data={
                "voucher_id": voucher.id,
                "travel_id": travel.id,
                "office": place.office_name,
                "changes": changes,
            },
        )
    session.flush()
    return changes
