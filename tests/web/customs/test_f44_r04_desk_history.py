"""The desk's history of a carnet (step 2) as another administration of the territory sees it:
the transactions with their state and a cancellation's reason (F-44), no officer's name or
remarks (F-02, R-04)."""

from __future__ import annotations

from portal.domain.transactions import cancel_transaction, cancellation_code_of
from portal.models import Transaction

REASON = "Wrong voucher scanned at the counter"
REMARK = "Driver nervous, check next time"


def test_f44_f02_desk_history_shows_the_cancellation_reason_not_the_officer(kit, desk, world):
    carnet = kit.issue(items=2, countries=("BE", "FR"))
    t = kit.travel(carnet, "CH", "FR")
    kit.commit(t, "validation", "ch")
    kit.commit(t, "export", "ch")
    result = kit.commit(t, "import", "fr", fields={"remarks": REMARK})
    txn = world.session.get(Transaction, result.transaction_id)
    cancel_transaction(
        world.session, txn.id, world.officer("fr"), cancellation_code_of(txn), REASON
    )
    world.session.commit()
    d = desk("be")
    step2 = d.start(kit.voucher(t, "import"))
    for body in (
        d.client.get(step2).get_data(as_text=True),
        d.client.get(step2.rsplit("/", 1)[0] + "/lists").get_data(as_text=True),
    ):
        assert "cancelled: " + REASON in body
        assert world.officer("fr").account.full_name not in body and REMARK not in body
