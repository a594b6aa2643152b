"""The customs side (F-51): acknowledge, reject with a reason, commit through the engine."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError, NotFound, PermissionDenied
from portal.domain.organisation import office_within_reach
from portal.domain.predeclarations.holder import lock_predeclaration, what_happened
from portal.domain.predeclarations.notices import audit_officer, tell_holders
from portal.domain.predeclarations.vocabulary import (
    CARRIAGES,
    MAX_REASON,
    TRANSPORT_MODES,
    kind_name,
)
from portal.domain.rules import label
from portal.domain.transactions import CommitResult, Officer, commit_voucher, committed_by_token
from portal.domain.transactions.locking import is_pg
from portal.i18n import fmt_local
from portal.models import (
    Carnet,
    Office,
    Predeclaration,
    Transaction,
)
from portal.models.predeclarations import OPEN_STATES

# --- the customs side -----------------------------------------------------------------------


def _check_officer(p: Predeclaration, officer: Officer) -> Office:
    """The officer's administration and region (R-16, R-17) — another's is not found."""
    account = officer.account
    office = officer.office
    if p.customs_id != account.customs_id or office is None or office.id != p.office_id:
        raise NotFound(_("No such pre-declaration."))
    # an API client (no role) acts for its whole administration; a person within their reach
    if getattr(account, "role", None) and not office_within_reach(account, office):
        raise PermissionDenied(
            _(
                "Only an officer of %(name)s's region can act on this %(kind_name)s.",
                name=office.name,
                kind_name=kind_name(p),
            )
        )
    return office


def _act(
    session: Session, predeclaration_id: int, officer: Officer, states: tuple[str, ...], what: str
) -> Predeclaration:
    p = lock_predeclaration(session, predeclaration_id)
    _check_officer(p, officer)
    if p.state not in states:
        cannot = (
            _("It cannot be acknowledged.")
            if what == "acknowledged"
            else _("It cannot be rejected.")
        )
        raise Conflict(what_happened(p) + " " + cannot, code=f"predeclaration_{p.state}")
    return p


def _mark(p: Predeclaration, state: str, officer: Officer, now: dt.datetime) -> None:
    p.state = state
    p.acted_at = now
    p.acted_by = officer.account.full_name
    p.acted_by_account_id = officer.account.id
    p.version += 1
    p.updated_at = now


def acknowledge(
    session: Session, predeclaration_id: int, officer: Officer, *, now: dt.datetime | None = None
) -> Predeclaration:
    """Customs confirm the appointment: the holder's travel shows a green check (F-52)."""
    now = now or now_utc()
    p = _act(session, predeclaration_id, officer, ("pending",), "acknowledged")
    _mark(p, "acknowledged", officer, now)
    carnet = session.get(Carnet, p.carnet_id)
    assert carnet is not None
    office = session.get(Office, p.office_id)
    audit_officer(session, "predeclaration.acknowledged", officer, carnet, p)
    tell_holders(
        session,
        carnet,
        p,
        lambda: (
            _("%(what)s acknowledged", what=kind_name(p).capitalize()),
            _(
                "Customs at %(office)s acknowledged your %(what)s for the %(kind)s of carnet "
                "%(number)s, expected on %(when)s.",
                office=office.name if office else "—",
                what=kind_name(p),
                kind=label(p.kind),
                number=carnet.carnet_number,
                when=fmt_local(p.expected_at),
            ),
        ),
    )
    session.flush()
    return p


def reject(
    session: Session,
    predeclaration_id: int,
    officer: Officer,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> Predeclaration:
    """Customs refuse it: the goods must stop at the office for inspection (red cross, F-52);
    the holder sees the reason. The voucher is untouched and can still be presented."""
    now = now or now_utc()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the rejection."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(
            _("The reason is too long: at most %(MAX_REASON)s characters.", MAX_REASON=MAX_REASON),
            "reason",
        )
    p = _act(session, predeclaration_id, officer, OPEN_STATES, "rejected")
    _mark(p, "rejected", officer, now)
    p.reason = reason
    carnet = session.get(Carnet, p.carnet_id)
    assert carnet is not None
    office = session.get(Office, p.office_id)
    audit_officer(session, "predeclaration.rejected", officer, carnet, p, reason=reason)
    tell_holders(
        session,
        carnet,
        p,
        lambda: (
            _("%(what)s rejected: stop for inspection", what=kind_name(p).capitalize()),
            _(
                "Customs at %(office)s rejected your %(what)s for the %(kind)s of carnet "
                "%(number)s: %(reason)s The goods must stop at the customs office for "
                "inspection.",
                office=office.name if office else "—",
                what=kind_name(p),
                kind=label(p.kind),
                number=carnet.carnet_number,
                reason=reason,
            ),
        ),
    )
    session.flush()
    return p


def commit(
    session: Session,
    predeclaration_id: int,
    officer: Officer,
    *,
    fields: dict | None = None,
    step: str | None = None,
    commit_token: str | None = None,
    now: dt.datetime | None = None,
) -> CommitResult:
    """Commit a pre-declaration ("allow automatic transaction") at its office: the engine's
    `commit_voucher` with every rule (R-01 … R-11), and the pre-declaration marked committed
    in the same database transaction. A replay of the same commit token answers the first
    result (R-11)."""
    now = now or now_utc()
    p = lock_predeclaration(session, predeclaration_id)
    _check_officer(p, officer)
    if p.state == "committed" and commit_token and p.transaction_id is not None:
        if committed_by_token(session, commit_token) == p.transaction_id:
            return commit_voucher(
                session,
                p.voucher_id,
                officer,
                fields=fields,
                step=step,
                commit_token=commit_token,
                now=now,
            )
    if p.option != "automatic":
        raise Conflict(
            _(
                "This is a pre-notification: the holder did not allow an automatic transaction. Acknowledge it, and process the carnet with New transaction when it arrives."
            ),
            code="not_a_predeclaration",
        )
    if p.state not in OPEN_STATES:
        raise Conflict(
            what_happened(p) + " " + _("It cannot be committed."),
            code=f"predeclaration_{p.state}",
        )
    result = commit_voucher(
        session,
        p.voucher_id,
        officer,
        fields=fields,
        step=step,
        commit_token=commit_token,
        now=now,
    )
    _close(session, p, officer, result, now)
    return result


def _close(
    session: Session, p: Predeclaration, officer: Officer, result: CommitResult, now: dt.datetime
) -> None:
    """Mark the (locked, open) pre-declaration committed by `result`, audited; the holder's
    notification and email are the engine's commit notice."""
    _mark(p, "committed", officer, now)
    p.transaction_id = result.transaction_id
    carnet = session.get(Carnet, p.carnet_id)
    assert carnet is not None
    audit_officer(
        session,
        "predeclaration.committed",
        officer,
        carnet,
        p,
        transaction_id=result.transaction_id,
    )
    session.flush()


def _lock_open_of_voucher(session: Session, voucher_id: int) -> Predeclaration | None:
    """The voucher's open pre-declaration, locked (as `lock_predeclaration`), whichever
    administration it was sent to (a voucher of the EU may be committed at an office of
    another member state than the one pre-notified)."""
    is_open = (Predeclaration.voucher_id == voucher_id, Predeclaration.state.in_(OPEN_STATES))
    stmt = (
        select(Predeclaration)
        .where(*is_open)
        .execution_options(all_tenants=True, populate_existing=True)
    )
    if is_pg(session):
        stmt = stmt.with_for_update()
    else:
        session.execute(
            update(Predeclaration)
            .where(*is_open)
            .values(version=Predeclaration.version)
            .execution_options(synchronize_session=False)
        )
    return session.scalar(stmt)


def commit_closing_open(
    session: Session,
    voucher_id: int,
    officer: Officer,
    *,
    fields: dict | None = None,
    step: str | None = None,
    commit_token: str | None = None,
    now: dt.datetime | None = None,
) -> CommitResult:
    """`commit_voucher` for a commit made without the pre-declaration (the wizard with the
    transaction code, the customs API): the voucher's open pre-declaration, if any, is closed
    as committed in the same database transaction. Its row is locked before the commit's
    carnet and voucher, the lock order of `commit` (no deadlock with an officer committing
    from the list or the holder withdrawing). A replay (R-11) changes nothing."""
    now = now or now_utc()
    p = _lock_open_of_voucher(session, voucher_id)
    result = commit_voucher(
        session,
        voucher_id,
        officer,
        fields=fields,
        step=step,
        commit_token=commit_token,
        now=now,
    )
    if p is not None and not result.replayed:
        _close(session, p, officer, result, now)
    return result


def prefilled_fields(p: Predeclaration) -> dict[str, str]:
    """The commit's fields pre-filled from what was pre-declared: the shipment and the means of
    transport as the customs reference and remarks (the officer can change them)."""
    remarks = (
        f"Pre-declared: {CARRIAGES[p.carriage].lower()}, {TRANSPORT_MODES[p.transport_mode]}"
        + (f" {p.transport_id}" if p.transport_id else "")
        + f", expected {p.expected_at.strftime('%d/%m/%Y %H:%M')}."
    )
    return {"reference": p.shipment_number, "remarks": remarks}


def transaction_of(session: Session, p: Predeclaration) -> Transaction | None:
    return session.get(Transaction, p.transaction_id) if p.transaction_id else None
