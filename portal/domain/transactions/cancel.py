"""Cancelling a committed transaction with the holder's cancellation code (F-44, R-05), and the
holder's check of the officer's verification code (F-34); wrong codes are counted (R-10)."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import Conflict, DomainError, NotFound, PermissionDenied, archive, history
from portal.domain.codes import keyed_hash, same
from portal.domain.rules import check_balances_after_cancel, country_name, label
from portal.domain.transactions.locking import lock, lock_carnet
from portal.domain.transactions.notify import notify
from portal.domain.transactions.place import Officer, officer_event, place_of
from portal.domain.vouchers import check_not_locked, failed_guess, normalize_code
from portal.i18n import fmt_datetime
from portal.models import Cancellation, Holder, PaperTransaction, Transaction, WalletCarnet

# --- cancellation (F-44, R-05) ----------------------------------------------------------------


def cancel_transaction(
    session: Session,
    transaction_id: int,
    officer: Officer,
    cancellation_code: str,
    reason: str,
    *,
    client_key: str | None = None,
    now: dt.datetime | None = None,
) -> Cancellation:
    """Cancel a committed transaction of the officer's territory with the holder's
    cancellation code and a reason. Recorded, never deleted; the voucher can be transacted
    again and the quantities come back exactly (they are sums of committed transactions)."""
    now = now or now_utc()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the cancellation."), field="reason")
    place = place_of(session, officer)
    txn = session.get(Transaction, transaction_id)
    if txn is None:
        archive.refuse_if_archived(session, transaction_id)  # closed: refused, whatever the code
        raise NotFound(_("No such transaction."))
    if txn.territory_id != place.territory_id:
        raise PermissionDenied(
            _(
                "This transaction was committed in another customs territory: only an officer of that territory can cancel it."
            )
        )
    client = client_key or f"account:{place.account_id}"
    subjects = [f"transaction:{txn.id}", f"client:{client}"]
    check_not_locked(session, subjects, now)
    if not same(
        keyed_hash("cancellation:" + normalize_code(cancellation_code)), txn.cancellation_code_hash
    ):
        failed_guess(
            session,
            "transaction.cancel_code_failed",
            subjects,
            now=now,
            data={"transaction_id": transaction_id},
            actor_type="account",
            actor_id=place.account_id,
            actor_label=officer.account.email,
            customs_id=place.customs_id,
            ip=officer.ip,
            object_type="transaction",
            object_id=txn.id,
        )
        raise DomainError(
            _("This cancellation code is not the holder's code for this transaction."),
            field="cancellation_code",
            code="wrong_code",
        )
    carnet = lock_carnet(session, txn.carnet_id)
    archive.check_open(carnet)  # archived meanwhile: its transactions have moved
    _carnet, voucher = lock(session, txn.voucher_id)
    session.refresh(txn)
    if txn.state == "cancelled":
        raise Conflict(_("This transaction has already been cancelled."), code="already_cancelled")
    territory_label = _("the EU") if place.is_eu else country_name(session, place.country_code)
    if txn.kind == "pre_export":
        later = session.scalar(
            select(Transaction.id).where(
                Transaction.voucher_id == txn.voucher_id,
                Transaction.kind == "export",
                Transaction.state == "committed",
            )
        )
        if later is not None:
            raise Conflict(
                _("Cancel the exit (exportation) first: this pre-exportation belongs to it."),
                code="cancel_order",
            )
    if txn.kind == "validation":
        later = session.scalar(
            select(Transaction.id)
            .where(
                Transaction.carnet_id == txn.carnet_id,
                Transaction.kind != "validation",
                Transaction.state == "committed",
            )
            .limit(1)
        )
        if later is not None:
            raise Conflict(
                _(
                    "This validation cannot be cancelled: later transactions of the carnet depend on it. Cancel them first."
                ),
                code="cancel_order",
            )
    check_balances_after_cancel(session, txn, territory_label)

    txn.state = "cancelled"
    record = Cancellation(
        transaction_id=txn.id,
        territory_id=place.territory_id,
        customs_id=place.customs_id,
        office_id=place.office_id,
        account_id=place.account_id,
        officer_name=place.officer_name,
        office_name=place.office_name,
        reason=reason[:1000],
        at=now,
    )
    session.add(record)
    history.refresh(session, txn.carnet_id)  # the R-04 read model (its final re-importation)
    # the voucher can be transacted again: back to where it was before this transaction
    if txn.kind == "export":
        pre = session.scalar(
            select(Transaction.id).where(
                Transaction.voucher_id == voucher.id,
                Transaction.kind == "pre_export",
                Transaction.state == "committed",
            )
        )
        voucher.state = "pre_exported" if pre is not None else "open"
    else:
        voucher.state = "open"
    if voucher.state == "open":
        voucher.used_at = None
    if txn.kind == "validation" or _validated_only_by(session, carnet, txn):
        carnet.status = "issued" if carnet.status == "active" else carnet.status
        carnet.activated_at = None
    carnet.updated_at = now
    officer_event(
        session,
        "transaction.cancelled",
        officer,
        place,
        object_type="carnet",
        object_id=carnet.eata_id,
        data={
            "transaction_id": txn.id,
            "kind": txn.kind,
            "reason": reason[:1000],
            "office": place.office_name,
            "voucher_state": voucher.state,
        },
    )
    notify(
        session,
        carnet,
        "cancelled",
        voucher=voucher,
        transaction=txn,
        words=lambda: (
            _("%(kind)s cancelled", kind=label(txn.kind).capitalize()),
            _(
                "The %(kind)s of carnet %(number)s committed on %(when)s was cancelled at "
                "%(office)s. Its voucher can be used again.",
                kind=label(txn.kind),
                number=carnet.carnet_number,
                when=fmt_datetime(txn.committed_at),
                office=place.office_name,
            ),
        ),
        email=True,
    )
    session.flush()
    return record


def check_verification_code(
    session: Session,
    holder: Holder,
    transaction_id: int,
    code: str,
    *,
    now: dt.datetime | None = None,
) -> bool:
    """The holder checks the officer's verification code (typed or scanned) against the commit
    (F-34); wrong guesses are counted (R-10)."""
    now = now or now_utc()
    txn = session.get(Transaction, transaction_id)
    if (
        txn is None
        or session.scalar(
            select(WalletCarnet.id).where(
                WalletCarnet.holder_id == holder.id, WalletCarnet.carnet_id == txn.carnet_id
            )
        )
        is None
    ):
        raise NotFound(_("No such transaction."))
    subjects = [f"holder:{holder.id}"]
    check_not_locked(session, subjects, now)
    if same(keyed_hash("verification:" + normalize_code(code)), txn.verification_code_hash):
        return txn.state == "committed"
    failed_guess(
        session,
        "transaction.verification_failed",
        subjects,
        now=now,
        data={"transaction_id": txn.id},
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="carnet",
        object_id=txn.carnet_id,
    )
    return False


def _validated_only_by(session: Session, carnet, txn: Transaction) -> bool:
    """F-73: the cancelled commit was what validated the carnet automatically (use case 2: its
    first commit abroad, the departure country being a paper country) — nothing else committed
    remains and no paper validation is recorded, so the carnet is back to issued and its next
    commit abroad validates it again."""
    if carnet.activated_at is None:
        return False
    other = session.scalar(
        select(Transaction.id)
        .where(
            Transaction.carnet_id == carnet.id,
            Transaction.state == "committed",
            Transaction.id != txn.id,
        )
        .limit(1)
    )
    if other is not None:
        return False
    paper = session.scalar(
        select(PaperTransaction.id)
        .where(PaperTransaction.carnet_id == carnet.id, PaperTransaction.kind == "validation")
        .limit(1)
    )
    return paper is None
