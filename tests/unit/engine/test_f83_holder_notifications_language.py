"""F-83: the engine writes each holder's notification and email in the holder's language, whoever
the officer is and whatever the officer's request language."""

from __future__ import annotations

from sqlalchemy import select

from portal.domain.transactions import cancel_transaction, reject_voucher
from portal.domain.transactions.codes import cancellation_code_of
from portal.models import HolderNotification, OutboxMessage, Transaction
from tests.support.factory import commit, issue, travel, voucher


def _latest(world, kind):
    return world.session.scalar(
        select(HolderNotification)
        .where(HolderNotification.kind == kind)
        .order_by(HolderNotification.id.desc())
    )


def _email(world):
    return world.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "email").order_by(OutboxMessage.id.desc())
    )


def test_f83_notifications_and_emails_in_the_holders_language(app, world):
    world.holder.language = "es"
    world.session.commit()
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    # the officer's request is in French: the holder still reads Spanish
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        r = commit(world, t, "validation", "ch")
    note = _latest(world, "committed")
    assert note.title == "Validación: operación registrada"
    assert note.body.startswith("La operación «validación» del cuaderno")
    assert "Abra su cartera" in note.body
    mail = _email(world)
    assert mail.subject.startswith("eATA: Validación: operación registrada — cuaderno ")
    assert mail.body.startswith("Hola ")

    world.holder.language = "fr"
    world.session.commit()
    with app.test_request_context("/"):
        txn = world.session.get(Transaction, r.transaction_id)
        cancel_transaction(
            world.session, txn.id, world.officer("ch"), cancellation_code_of(txn), "Erreur"
        )
        world.session.commit()
    note = _latest(world, "cancelled")
    assert note.title == "Validation : opération annulée"
    assert "peut être utilisé à nouveau" in note.body


def test_f83_a_holder_without_a_language_reads_english(app, world):
    world.holder.language = None
    world.session.commit()
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        reject_voucher(world.session, voucher(world, t, "validation").id, world.officer("ch"), "x")
        world.session.commit()
    note = _latest(world, "rejected")
    assert note.title == "Validation rejected"
    assert "Nothing was committed" in note.body
