"""The holders' notifications of an engine action (commit, rejection, cancellation)."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import batch
from portal.domain.transactions.locking import statement
from portal.i18n import with_locale
from portal.models import Carnet, HolderNotification, Transaction, Voucher
from portal.models.jobs import OutboxMessage

NOTES = batch.table_of(HolderNotification)
OUTBOX = batch.table_of(OutboxMessage)


def notify(
    session: Session,
    carnet: Carnet,
    kind: str,
    *,
    words: Callable[[], tuple[str, str]],
    voucher: Voucher | None = None,
    transaction: Transaction | None = None,
    transaction_id: int | None = None,
    email: bool = False,
    writes: batch.Batch | None = None,
    holders: list | None = None,
) -> None:
    """A notification for every holder who has the carnet in their wallet, with its outbox
    signal, and an email receipt when asked — the same rows outbox.add_holder_notification /
    outbox.add_email would store, written through `writes` (or at once). `words()` gives the
    (title, body), called once per language of the holders, in that language (F-83).
    `holders`: rows of (id, email, given_names, surname, language, notification id) when the
    caller read them already."""
    own = writes is None
    writes = writes or batch.Batch(session)
    if holders is None:
        holders = list(
            writes.conn.execute(
                statement("holders_pg" if writes.pg else "holders"), {"carnet_id": carnet.id}
            ).all()
        )
    notes, messages = [], []
    said: dict[str | None, tuple[str, str, str, str]] = {}
    for holder_id, address, given_names, surname, language, *pre in holders:
        if language not in said:
            with with_locale(language):
                title, body = words()
                # the email's subject and greeting in the same language (the greeting's
                # %(name)s filled per holder below)
                said[language] = (
                    title,
                    body,
                    _(
                        "eATA: %(title)s — carnet %(number)s",
                        title=title,
                        number=carnet.carnet_number,
                    ),
                    _("Hello %(name)s,"),
                )
        title, body, subject, hello = said[language]
        note = {
            "holder_id": holder_id,
            "carnet_id": carnet.id,
            "voucher_id": voucher.id if voucher else None,
            "transaction_id": transaction.id if transaction else transaction_id,
            "kind": kind,
            "title": title,
            "body": body,
        }
        if writes.pg:
            note_id = pre[0]
            notes.append({"id": note_id, **note})
        else:
            note_id = writes.insert_returning(NOTES, note)
        at = now_utc()
        messages.append(
            {
                "kind": "holder_notification",
                "recipient": address,
                "customs_id": None,
                "subject": "",
                "body": "",
                "status": "pending",
                "payload": {"holder_id": holder_id, "notification_id": note_id},
                "next_attempt_at": at,
            }
        )
        if email:
            name = " ".join(p for p in (given_names, surname) if p).strip()
            messages.append(
                {
                    "kind": "email",
                    "recipient": address,
                    "customs_id": None,
                    "subject": subject,
                    "body": f"{hello % {'name': name}}\n\n{body}\n\neATA\n",
                    "status": "pending",
                    "next_attempt_at": at,
                    "payload": {"transaction_id": note["transaction_id"]},
                }
            )
    writes.insert(NOTES, notes)
    writes.insert(OUTBOX, messages)
    if own:
        writes.run()
