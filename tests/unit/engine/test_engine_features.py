"""F-31, F-32, F-33, F-41, F-42, F-44a, F-46, F-48 and the outbox written with the commit."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import func, select

from portal.db import now_utc
from portal.domain import DomainError, travels, vouchers
from portal.domain.rules import territory_of
from portal.domain.transactions import (
    check_verification_code,
    commit_voucher,
    hold_carnet,
    holds_of,
    last_commits,
    reject_voucher,
    rejections_for,
)
from portal.models import (
    CarnetLink,
    HolderNotification,
    OutboxMessage,
    Signature,
    Transaction,
    TransactionItem,
)
from tests.support.factory import HOLDER_NAME, commit, issue, travel, voucher


def _input(**kw):
    base = dict(
        departure_country="CH",
        destination_country="FR",
        transport_mode="land",
        items={1: 1, 2: 1},
        signed_name=HOLDER_NAME,
    )
    base.update(kw)
    return travels.TravelInput(**base)


def test_f31_general_list_accepted_before_first_travel_and_declarations_signed(world):
    carnet = issue(world, in_wallet=False)
    travels.add_to_wallet(world.session, world.holder, carnet)
    with pytest.raises(
        DomainError, match="Accept \\(sign\\) the carnet's general list before your first travel"
    ):
        travels.prepare_travel(world.session, world.holder, carnet, _input())
    with pytest.raises(DomainError, match="Sign with your legal name"):
        travels.accept_general_list(world.session, world.holder, carnet, "A. P.")
    travels.accept_general_list(world.session, world.holder, carnet, "anne  PEETERS")
    t = travels.prepare_travel(world.session, world.holder, carnet, _input())
    world.session.commit()
    kinds = set(world.session.scalars(select(Signature.kind)))
    assert kinds == {"general_list", "declaration"}
    r = commit(world, t, "validation", "ch")
    txn = world.session.get(Transaction, r.transaction_id)
    assert txn.signed_name == HOLDER_NAME and txn.signed_at is not None


def test_f32_travel_items_quantities_and_edit_until_transacted(world):
    carnet = issue(world, items=3, pieces=2)
    with pytest.raises(
        DomainError,
        match=r"Item 1: the general list has 2 piece\(s\); you "
        "declared 3",
    ):
        travels.prepare_travel(world.session, world.holder, carnet, _input(items={1: 3}))
    with pytest.raises(DomainError, match="Item 9 is not on the general list"):
        travels.prepare_travel(world.session, world.holder, carnet, _input(items={9: 1}))
    with pytest.raises(DomainError, match="Declare at least one item"):
        travels.prepare_travel(world.session, world.holder, carnet, _input(items={1: 0}))
    with pytest.raises(DomainError, match="no customs transaction is needed"):
        travels.prepare_travel(
            world.session, world.holder, carnet, _input(destination_country="CH")
        )
    world.session.rollback()
    t = travels.prepare_travel(world.session, world.holder, carnet, _input())
    world.session.commit()
    codes_before = {v.kind: vouchers.code_of(v) for v in t.vouchers}
    # same route, other items: the vouchers and their codes stay
    t = travels.edit_travel(world.session, world.holder, t.id, _input(items={3: 2}))
    world.session.commit()
    assert [(i.item_no, i.quantity) for i in t.items] == [(3, 2)]
    assert {v.kind: vouchers.code_of(v) for v in t.vouchers if v.state != "void"} == codes_before
    # another route: new vouchers, the old codes stop working
    t = travels.edit_travel(
        world.session,
        world.holder,
        t.id,
        _input(destination_country="NO", transit_countries=["DE"]),
    )
    world.session.commit()
    live = [v.kind for v in t.vouchers if v.state != "void"]
    assert live == ["validation", "export", "transit_open", "transit_close", "import"]
    with pytest.raises(DomainError, match="no longer valid"):
        vouchers.lookup_voucher(
            world.session, carnet.eata_id, codes_before["export"], client_key="k"
        )
    assert {s.kind: s.remaining for s in carnet.sets} == {
        "export_reimport": 2,
        "import_reexport": 5,
        "transit": 1,
    }
    commit(world, t, "validation", "ch")
    with pytest.raises(
        DomainError,
        match="This travel cannot be changed: customs already committed one of its vouchers",
    ):
        travels.edit_travel(world.session, world.holder, t.id, _input())


def test_f33_vouchers_per_travel_and_qr(world):
    carnet = issue(world)
    out = travel(world, carnet, "CH", "NO", transits=["FR"])
    assert [(v.kind, v.country_code) for v in out.vouchers] == [
        ("validation", "CH"),
        ("export", "CH"),
        ("transit_open", "FR"),
        ("transit_close", "FR"),
        ("import", "NO"),
    ]
    codes = [vouchers.code_of(v) for v in out.vouchers]
    assert len(set(codes)) == 5
    eata, code = vouchers.parse_qr_payload(vouchers.qr_payload(carnet.eata_id, codes[1]))
    assert vouchers.lookup_voucher(world.session, eata, code, client_key="x").kind == "export"


def test_f41_commit_fields_per_kind(world):
    carnet = issue(world, items=3, pieces=2)
    t = travel(world, carnet, "CH", "NO", transits=["FR"])
    commit(world, t, "validation", "ch", fields={"goods_examined": True, "reference": "V-1"})
    until = now_utc().date() + dt.timedelta(days=60)
    commit(world, t, "export", "ch", fields={"final_date": until, "remarks": "ok"})
    r = commit(
        world,
        t,
        "transit_open",
        "fr",
        fields={"final_date": until.isoformat(), "customs_seals": "SEAL-77"},
    )
    txn = world.session.get(Transaction, r.transaction_id)
    assert txn.final_date == until and txn.customs_seals == "SEAL-77"
    with pytest.raises(DomainError, match="“customs seals” does not apply to a transit close"):
        commit(world, t, "transit_close", "be", fields={"customs_seals": "X"})
    world.session.rollback()
    commit(world, t, "transit_close", "be")
    closed = voucher(world, t, "transit_close")
    assert closed.state == "used"


def test_f41_reexport_and_reimport_fields(world):
    carnet = issue(world, items=2, pieces=3)
    t = travel(world, carnet, "CH", "FR")
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    commit(world, t, "import", "fr")
    back = travel(world, carnet, "FR", "CH", items={1: 2, 2: 3})
    r = commit(
        world,
        back,
        "reexport",
        "fr",
        fields={
            "action_not_reexported": "1 piece of item 1 diverted to home use, duties paid",
            "action_not_produced": "none",
        },
    )
    assert world.session.get(Transaction, r.transaction_id).action_not_reexported.startswith("1 p")
    r = commit(
        world, back, "reimport", "ch", fields={"not_reimported": {1: 1}, "processed_abroad": {2: 1}}
    )
    lines = {
        (i.item_no, i.quantity, i.line)
        for i in world.session.scalars(
            select(TransactionItem).where(TransactionItem.transaction_id == r.transaction_id)
        )
    }
    assert lines == {
        (1, 2, "cleared"),
        (2, 3, "cleared"),
        (1, 1, "not_reimported"),
        (2, 1, "processed_abroad"),
    }
    assert [x.id for x in last_commits(world.session, world.officer("ch").office.id)][
        0
    ] == r.transaction_id


def _eu_carnet(world):
    return issue(world, departure="BE", countries=("CH", "NO"))


def test_f42_eu_export_then_exit(world):
    carnet = _eu_carnet(world)
    t = travel(world, carnet, "BE", "CH")
    commit(world, t, "validation", "be")
    pre = commit(world, t, "export", "be", step="export")
    assert pre.kind == "pre_export" and voucher(world, t, "export").state == "pre_exported"
    with pytest.raises(DomainError, match="already pre-exported: commit the exit"):
        commit(world, t, "export", "be", step="export")
    world.session.rollback()
    exit_ = commit(world, t, "export", "fr", step="exit")  # the office of exit, in France
    assert exit_.kind == "export" and exit_.transaction_ids == (exit_.transaction_id,)
    kinds = list(world.session.scalars(select(Transaction.kind).order_by(Transaction.id)))
    assert kinds == ["validation", "pre_export", "export"]
    with pytest.raises(DomainError, match="exist only for an exportation at an EU office"):
        commit(world, t, "import", "ch", step="exit")


def test_f42_exit_first_commits_both(world):
    carnet = _eu_carnet(world)
    t = travel(world, carnet, "BE", "CH")
    commit(world, t, "validation", "be")
    r = commit(world, t, "export", "be", step="exit")
    assert len(r.transaction_ids) == 2
    kinds = [world.session.get(Transaction, i).kind for i in r.transaction_ids]
    assert kinds == ["pre_export", "export"] and voucher(world, t, "export").state == "used"
    commit(world, t, "import", "ch")


def test_f44a_rejection_scoped_to_territory_voucher_not_used_holder_told(world):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    v = voucher(world, t, "import")
    with pytest.raises(DomainError, match="Give the reason for the rejection"):
        reject_voucher(world.session, v.id, world.officer("fr"), "")
    with pytest.raises(DomainError, match="cannot be rejected in Switzerland"):
        reject_voucher(world.session, v.id, world.officer("ch"), "no")
    world.session.rollback()
    reject_voucher(world.session, v.id, world.officer("fr"), "Goods do not match the list")
    world.session.commit()
    eu = territory_of(world.session, "FR")
    ch = territory_of(world.session, "CH")
    assert [r.reason for r in rejections_for(world.session, carnet.id, eu)] == [
        "Goods do not match the list"
    ]
    assert rejections_for(world.session, carnet.id, ch) == []
    assert voucher(world, t, "import").state == "open"
    note = world.session.scalar(
        select(HolderNotification).where(HolderNotification.kind == "rejected")
    )
    assert note.holder_id == world.holder.id and "Goods do not match" not in note.body
    commit(world, t, "import", "be")  # still usable


def test_f46_hold_list_and_no_double_hold(world):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    v = voucher(world, t, "validation")
    with pytest.raises(DomainError, match="Give the reason for holding"):
        hold_carnet(world.session, v.id, world.officer("ch"), " ")
    hold = hold_carnet(world.session, v.id, world.officer("ch"), "TO BE CHECKED LATER")
    world.session.commit()
    with pytest.raises(DomainError, match="already|on hold"):
        hold_carnet(world.session, v.id, world.officer("ch"), "again")
    world.session.rollback()
    ch = territory_of(world.session, "CH")
    assert [h.id for h in holds_of(world.session, territory_id=ch)] == [hold.id]
    assert [h.id for h in holds_of(world.session, office_id=world.officer("ch").office.id)] == [
        hold.id
    ]
    assert holds_of(world.session, territory_id=territory_of(world.session, "FR")) == []


def test_f48_replacement_carnets_as_the_guide_table(world):
    original = issue(world)
    t = travel(world, original, "CH", "FR")
    commit(world, t, "validation", "ch")
    commit(world, t, "export", "ch")
    commit(world, t, "import", "fr")
    replacement = issue(world, original=original)
    links = {
        (lk.carnet_id, lk.kind, lk.linked_carnet_id)
        for lk in world.session.scalars(select(CarnetLink))
    }
    assert (replacement.id, "replaces", original.id) in links
    assert (original.id, "replaced_by", replacement.id) in links
    # home customs: validation + exportation of the replacement, re-importation of the original
    r_out = travel(world, replacement, "CH", "FR")
    o_back = travel(world, original, "FR", "CH")
    commit(world, r_out, "validation", "ch")
    commit(world, r_out, "export", "ch")
    commit(world, o_back, "reimport", "ch")
    # foreign customs: importation of the replacement, re-exportation of the original
    commit(world, r_out, "import", "fr")
    commit(world, o_back, "reexport", "fr")
    # later: re-exportation and re-importation of the replacement
    r_back = travel(world, replacement, "FR", "CH")
    commit(world, r_back, "reexport", "fr")
    commit(world, r_back, "reimport", "ch")
    assert world.session.scalar(select(func.count()).select_from(Transaction)) == 10


def test_outbox_rows_written_with_the_commit_and_drained(app, world):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    r = commit(world, t, "validation", "ch")
    kinds = sorted(world.session.scalars(select(OutboxMessage.kind)))
    assert kinds == ["email", "holder_notification"]
    note = world.session.scalar(select(HolderNotification))
    assert note.transaction_id == r.transaction_id and note.kind == "committed"
    assert r.verification_code not in note.body
    from jobs.tasks import drain_outbox

    with app.app_context():
        assert drain_outbox() == {"sent": 2, "failed": 0}
    world.session.expire_all()
    assert world.session.get(HolderNotification, note.id).delivered_at is not None
    assert len(os.listdir(app.config["MAIL_OUTBOX_DIR"])) == 1
    # the holder checks the officer's verification code
    assert check_verification_code(
        world.session, world.holder, r.transaction_id, r.verification_code
    )
    assert not check_verification_code(
        world.session, world.holder, r.transaction_id, "AAAAAAAAAAAAA"
    )


def test_f47_code_valid_until_used_even_after_a_refusal(world):
    carnet = issue(world)
    t = travel(world, carnet, "CH", "FR")
    v = voucher(world, t, "export")
    with pytest.raises(DomainError):
        commit_voucher(world.session, v.id, world.officer("ch"))
    world.session.rollback()
    code = vouchers.code_of(v)
    assert (
        vouchers.lookup_voucher(world.session, carnet.carnet_number, code, client_key="k").id
        == v.id
    )


def test_f41_commit_writes_every_row_once_for_every_active_holder(world):
    """The commit's rows (batched: one pipeline on PostgreSQL): the transaction with the
    holder's signature, its item lines, the voucher and carnet updates, one audit event, and a
    notification + notification signal + email receipt for every active holder with the
    carnet in the wallet — each outbox row pointing at that holder's own notification."""
    from portal.domain.codes import keyed_hash
    from portal.models import AuditEvent, Carnet, Holder, Voucher
    from portal.models.transactions import WalletCarnet

    s = world.session
    carnet = issue(world, items=3)
    t = travel(world, carnet, "CH", "FR")
    second = Holder(
        kind="company",
        company_name="Peeters NV",
        given_names="Bert",
        surname="Maes",
        email="bert-f41@example.test",
        country_code="CH",
    )
    gone = Holder(
        kind="private",
        given_names="Old",
        surname="Account",
        email="gone-f41@example.test",
        country_code="CH",
        active=False,
    )
    s.add_all([second, gone])
    s.flush()
    s.add_all(
        [
            WalletCarnet(holder_id=second.id, carnet_id=carnet.id),
            WalletCarnet(holder_id=gone.id, carnet_id=carnet.id),
        ]
    )
    s.commit()

    r = commit(world, t, "validation", "ch", commit_token="f41-rows")
    s.expire_all()
    txn = s.get(Transaction, r.transaction_id)
    assert txn.kind == "validation" and txn.state == "committed"
    assert txn.signed_name == HOLDER_NAME and txn.signed_at is not None
    assert txn.verification_code_hash == keyed_hash("verification:" + r.verification_code)
    assert txn.commit_token_hash is not None
    lines = s.scalars(
        select(TransactionItem)
        .where(TransactionItem.transaction_id == txn.id)
        .order_by(TransactionItem.item_no)
    ).all()
    assert [(li.item_no, li.quantity, li.line) for li in lines] == [
        (1, 1, "cleared"),
        (2, 1, "cleared"),
        (3, 1, "cleared"),
    ]
    v = s.get(Voucher, txn.voucher_id)
    assert v.state == "used" and v.used_at == txn.committed_at
    c = s.get(Carnet, carnet.id)
    assert c.status == "active" and c.activated_at == txn.committed_at
    events = s.scalars(select(AuditEvent).where(AuditEvent.action == "transaction.committed")).all()
    assert len(events) == 1 and events[0].data["transactions"] == [txn.id]
    assert events[0].object_id == str(carnet.eata_id) and events[0].at is not None

    assert s.scalar(select(func.count()).select_from(HolderNotification)) == 2
    notes = {n.holder_id: n for n in s.scalars(select(HolderNotification))}
    assert set(notes) == {world.holder.id, second.id}  # not the disabled holder
    assert all(n.transaction_id == txn.id and n.created_at for n in notes.values())
    signals = s.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "holder_notification")
    ).all()
    assert sorted(
        (m.payload["holder_id"], m.payload["notification_id"]) for m in signals
    ) == sorted((hid, n.id) for hid, n in notes.items())
    emails = {
        m.recipient: m
        for m in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email"))
    }
    assert set(emails) == {world.holder.email, "bert-f41@example.test"}
    assert emails["bert-f41@example.test"].body.startswith("Hello Bert Maes,")
    assert all(m.status == "pending" and m.attempts == 0 and m.created_at for m in emails.values())
    # each email names its transaction (the desk's receipt page reads its state)
    assert all(m.payload == {"transaction_id": txn.id} for m in emails.values())
    # the replay of the token writes nothing more
    again = commit_voucher(
        s, v.id, world.officer("ch"), fields={"goods_examined": False}, commit_token="f41-rows"
    )
    s.commit()
    assert again.replayed and again.transaction_id == txn.id
    assert s.scalar(select(func.count()).select_from(Transaction)) == 1
    assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 4


def test_r11_a_failing_write_in_the_commit_batch_stores_nothing(world, monkeypatch):
    """A constraint violation among the batched writes surfaces as IntegrityError and the
    rollback leaves no row of the commit behind (all or nothing)."""
    from sqlalchemy.exc import IntegrityError

    from portal.domain.transactions import cancellation_code_of, verification_code_of
    from portal.models import AuditEvent, Voucher

    s = world.session
    c1, c2 = issue(world), issue(world)
    t1, t2 = travel(world, c1, "CH", "FR"), travel(world, c2, "CH", "FR")
    commit(world, t1, "validation", "ch")
    # the next codes repeat the first transaction's: its unique code hashes clash
    first = s.scalar(select(Transaction))
    repeat = iter([verification_code_of(first), cancellation_code_of(first)])
    monkeypatch.setattr(
        "portal.domain.transactions.codes.new_typable_code", lambda n=13: next(repeat)
    )
    v2 = voucher(world, t2, "validation")
    counts = {
        m: s.scalar(select(func.count()).select_from(m))
        for m in (Transaction, TransactionItem, AuditEvent, HolderNotification, OutboxMessage)
    }
    with pytest.raises(IntegrityError):
        commit_voucher(s, v2.id, world.officer("ch"), fields={"goods_examined": False})
    s.rollback()
    assert {m: s.scalar(select(func.count()).select_from(m)) for m in counts} == counts
    assert s.get(Voucher, v2.id).state == "open"


def test_r11_a_late_failing_write_undoes_the_earlier_ones(world, monkeypatch):
    """The audit event is written after the transaction, its items and the voucher and carnet
    updates: when it fails, none of those stays (the batch is one database transaction)."""
    from sqlalchemy.exc import IntegrityError

    from portal.domain import audit
    from portal.models import AuditEvent, Carnet, Voucher

    s = world.session
    carnet = issue(world)
    v = voucher(world, travel(world, carnet, "CH", "FR"), "validation")
    real = audit.queue
    monkeypatch.setattr(
        audit, "queue", lambda w, action, **f: real(w, action, **{**f, "actor_type": None})
    )
    counts = {
        m: s.scalar(select(func.count()).select_from(m))
        for m in (Transaction, TransactionItem, AuditEvent, HolderNotification, OutboxMessage)
    }
    with pytest.raises(IntegrityError):
        commit_voucher(s, v.id, world.officer("ch"), fields={"goods_examined": False})
    s.rollback()
    s.expire_all()
    assert {m: s.scalar(select(func.count()).select_from(m)) for m in counts} == counts
    assert s.get(Voucher, v.id).state == "open" and s.get(Voucher, v.id).used_at is None
    assert s.get(Carnet, carnet.id).status == "issued"
    assert s.get(Carnet, carnet.id).activated_at is None


def test_r11_a_connection_lost_during_the_commit_writes_is_rolled_back_cleanly(world):
    """On PostgreSQL the writes go in one pipeline: if the connection dies there, the error
    is SQLAlchemy's (connection invalidated) and the caller's rollback succeeds — nothing is
    stored and the next commit works. On SQLite the batch writes at once (no pipeline)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from portal.domain.batch import Batch
    from portal.extensions import db
    from portal.models import AuditEvent

    s = world.session
    before = s.scalar(select(func.count()).select_from(AuditEvent))
    writes = Batch(s)
    writes.insert(AuditEvent.__table__, [{"action": "test.batch", "actor_type": "system"}])
    if not writes.pg:
        # written at once, in the open transaction
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before + 1
        s.rollback()
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before
        return
    pid = s.scalar(text("SELECT pg_backend_pid()"))
    with db.engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        other.commit()
    with pytest.raises(DBAPIError) as err:
        writes.run()
    assert err.value.connection_invalidated
    s.rollback()  # must not raise
    assert s.scalar(select(func.count()).select_from(AuditEvent)) == before
    carnet = issue(world)
    r = commit(world, travel(world, carnet, "CH", "FR"), "validation", "ch")
    assert r.transaction_id
