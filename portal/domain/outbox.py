"""The outbox (DESIGN "Transactions are the heart"): side effects written in the caller's
transaction and sent after commit by a drain job.

A message is claimed before it is sent (UPDATE … WHERE status='pending', after a SELECT … FOR
UPDATE SKIP LOCKED on PostgreSQL), so two drains running at once never send it twice. A failed
send goes back to 'pending' with a growing delay; after MAX_ATTEMPTS it is 'failed'. A claim
left behind by a crashed drain is released after CLAIM_TIMEOUT.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from portal.db import now_utc, rows_changed
from portal.models import HolderNotification, WalletCarnet
from portal.models.jobs import OutboxMessage

MAX_ATTEMPTS = 8
CLAIM_TIMEOUT = dt.timedelta(minutes=15)


def add_email(
    session: Session, to: str, subject: str, body: str, *, customs_id: int | None = None
) -> OutboxMessage:
    msg = OutboxMessage(
        kind="email",
        recipient=to,
        subject=subject,
        body=body,
        customs_id=customs_id,
        status="pending",
        next_attempt_at=now_utc(),
    )
    session.add(msg)
    return msg


def add_account_invitation(
    session: Session, account_id: int, recipient: str, customs_id: int, days: int | None = None
) -> OutboxMessage:
    """The invitation of a new customs account; its single-use token is issued when it is sent,
    so no raw token is ever stored."""
    msg = OutboxMessage(
        kind="account_invitation",
        recipient=recipient,
        customs_id=customs_id,
        payload={"account_id": account_id, "days": days},
        status="pending",
        next_attempt_at=now_utc(),
    )
    session.add(msg)
    return msg


def retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 6 * 3600))


def release_stale_claims(session: Session, now: dt.datetime | None = None) -> int:
    now = now or now_utc()
    return rows_changed(
        session,
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - CLAIM_TIMEOUT)
        .values(status="pending", claimed_at=None),
    )


def claim_due(session: Session, limit: int = 100, now: dt.datetime | None = None) -> list[int]:
    """Claim up to `limit` due messages for this drain and commit the claim; returns their ids."""
    now = now or now_utc()
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(session.scalars(query))
    claimed = []
    for message_id in candidates:
        done = rows_changed(
            session,
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
            .values(status="sending", claimed_at=now),
        )
        if done == 1:
            claimed.append(message_id)
    session.commit()
    return claimed


def drain(
    session: Session,
    send: Callable[[Session, OutboxMessage], None],
    *,
    limit: int = 100,
    now: dt.datetime | None = None,
) -> dict:
    """Send the due messages with `send(session, message)`; each is marked sent in the same
    commit as whatever `send` wrote (an invitation token). Returns counts."""
    release_stale_claims(session, now)
    session.commit()
    sent = failed = 0
    for message_id in claim_due(session, limit, now):
        message = session.get_one(OutboxMessage, message_id)  # claimed, so not purged
        try:
            send(session, message)
        except Exception as exc:  # noqa: BLE001 — any failure is retried later
            session.rollback()
            message = session.get_one(OutboxMessage, message_id)  # claimed, so not purged
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            message.claimed_at = None
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
            else:
                message.status = "pending"
                message.next_attempt_at = (now or now_utc()) + retry_delay(message.attempts)
            session.commit()
            failed += 1
            continue
        message.status = "sent"
        message.sent_at = now_utc()
        message.attempts += 1
        message.last_error = None
        session.commit()
        sent += 1
    return {"sent": sent, "failed": failed}


def purge_sent(session: Session, older_than: dt.timedelta) -> int:
    return rows_changed(
        session,
        delete(OutboxMessage).where(
            OutboxMessage.status == "sent", OutboxMessage.sent_at < now_utc() - older_than
        ),
    )


def add_holder_notification(
    session: Session, holder_id: int, notification_id: int, recipient: str
) -> OutboxMessage:
    """The signal that a holder notification (F-34) was written: the drain marks it delivered
    (a push channel would send it here); the wallet shows the notification itself."""
    msg = OutboxMessage(
        kind="holder_notification",
        recipient=recipient,
        status="pending",
        payload={"holder_id": holder_id, "notification_id": notification_id},
        next_attempt_at=now_utc(),
    )
    session.add(msg)
    return msg


def deliver_holder_notification(session: Session, message: OutboxMessage) -> None:
    """Drain handler of 'holder_notification' messages: idempotent."""
    note = session.get(HolderNotification, (message.payload or {}).get("notification_id"))
    if note is not None and note.delivered_at is None:
        note.delivered_at = now_utc()


def receipt_email_state(session: Session, carnet_id: int, transaction_ids: list[int]) -> str:
    """Where the holders' email receipt of these transactions (one commit) stands, from the
    outbox: 'queued' (waiting or being sent), 'failed' (given up), 'sent', or 'none' (no holder
    had the carnet in a wallet, so none was written). Reads the few unsent messages through
    the due index and the holders' notifications, never the whole outbox."""
    unsent = set(
        session.scalars(
            select(OutboxMessage.status).where(
                OutboxMessage.status.in_(("pending", "sending", "failed")),
                OutboxMessage.kind == "email",
                OutboxMessage.payload["transaction_id"].as_integer().in_(transaction_ids),
            )
        )
    )
    if unsent - {"failed"}:
        return "queued"
    if unsent:
        return "failed"
    notified = session.scalar(
        select(HolderNotification.id)
        .where(
            HolderNotification.holder_id.in_(
                select(WalletCarnet.holder_id).where(WalletCarnet.carnet_id == carnet_id)
            ),
            HolderNotification.transaction_id.in_(transaction_ids),
        )
        .limit(1)
    )
    return "sent" if notified is not None else "none"
