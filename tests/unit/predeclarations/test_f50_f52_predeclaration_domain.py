"""F-50 … F-52: the pre-declaration's state machine and its refusals (portal/domain/predeclarations)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.domain import Conflict, DomainError, NotFound, travels
from portal.domain import predeclarations as pd
from portal.domain.transactions import hold_carnet
from portal.models import AuditEvent, HolderNotification, OutboxMessage, Transaction
from tests.support.factory import commit, issue, travel, voucher
from tests.support.predeclarations import form, ready_import, send


def _actions(world) -> list[str]:
    return list(
        world.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("predeclaration.%"))
            .order_by(AuditEvent.id)
        )
    )


def test_f50_send_stores_every_field_and_encrypts_the_representative(world):
    _, _, v = ready_import(world)
    p = send(world, v, option="")
    assert p.state == "pending" and p.kind == "import" and p.option == ""
    assert p.office_id == world.officer("fr").office.id
    assert p.customs_id == world.officer("fr").office.customs_id
    assert p.expected_at.strftime("%H:%M") == "10:30"
    assert (p.carriage, p.transport_mode, p.transport_id) == ("hand_carry", "air", "LX1234")
    assert "Dupont" not in p.representative_enc
    assert pd.representative_of(p)["eori"] == "FR123"
    assert _actions(world) == ["predeclaration.sent"]


def test_f50_offices_are_those_of_the_vouchers_territory(world):
    _, _, v = ready_import(world)
    offices = pd.offices_for_voucher(world.session, v)
    customs = {o.customs_id for o in offices}
    assert world.officer("fr").office.customs_id in customs
    assert world.officer("be").office.customs_id in customs  # the EU is one territory
    assert world.officer("ch").office.customs_id not in customs
    with pytest.raises(DomainError, match="customs office") as e:
        pd.send(world.session, world.holder, v.id, form(world.officer("ch").office))
    assert e.value.field == "office_id"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"expected_date": "31/02/2030"}, "expected_date"),
        ({"expected_date": "2001-01-01"}, "expected_date"),
        ({"expected_time": "25:00"}, "expected_time"),
        ({"carriage": "boat"}, "carriage"),
        ({"transport_mode": "rocket"}, "transport_mode"),
        ({"option": "sometimes"}, "option"),
        ({"shipment_number": "x" * 101}, "shipment_number"),
        ({"representative": {"eori": "FR1"}}, "rep_name"),
        ({"representative": {"name": "A", "country": "QQ"}}, "rep_country"),
    ],
)
def test_f50_bad_input_is_refused_next_to_its_field_and_nothing_is_stored(world, change, field):
    _, _, v = ready_import(world)
    with pytest.raises(DomainError) as e:
        pd.send(world.session, world.holder, v.id, form(world.officer("fr").office, **change))
    assert e.value.field == field
    world.session.rollback()
    assert pd.of_vouchers(world.session, [v.id]) == {}


def test_f50_one_open_predeclaration_per_voucher(world):
    _, _, v = ready_import(world)
    send(world, v)
    with pytest.raises(Conflict, match="one open pre-declaration at a time"):
        send(world, v)
    world.session.rollback()


def test_f50_withdrawn_or_rejected_lets_the_holder_send_again(world):
    _, _, v = ready_import(world)
    p = send(world, v)
    pd.withdraw(world.session, world.holder, p.id)
    world.session.commit()
    p2 = send(world, v)
    pd.reject(world.session, p2.id, world.officer("fr"), "Inspection needed")
    world.session.commit()
    assert send(world, v).state == "pending"


def test_f50_refused_for_a_committed_voucher(world):
    carnet, t, v = ready_import(world)
    commit(world, t, "import", "fr")
    with pytest.raises(Conflict, match="already committed"):
        send(world, v)
    world.session.rollback()


def _reroute(world, carnet, t, destination="BE"):
    data = travels.TravelInput(
        departure_country="CH",
        destination_country=destination,
        transport_mode="air",
        items={i.item_no: i.pieces for i in carnet.items},
        signed_name="Anne Peeters",
        nickname="trip",
    )
    travels.edit_travel(world.session, world.holder, t.id, data)
    world.session.commit()


def test_f50_refused_for_a_cancelled_voucher(world):
    carnet, t, v = ready_import(world, exported=False)
    _reroute(world, carnet, t)
    with pytest.raises(Conflict, match="cancelled when the travel was changed or deleted"):
        send(world, v)
    world.session.rollback()


def test_f50_refused_on_an_expired_carnet(world):
    import datetime as dt

    issued = dt.date.today() - dt.timedelta(days=30)
    carnet = issue(world, issue_date=issued, valid_days=10)
    t = travel(world, carnet, "CH", "FR", now=dt.datetime.combine(issued, dt.time(12)))
    v = voucher(world, t, "import")
    with pytest.raises(Conflict, match="expired"):
        send(world, v)
    world.session.rollback()


def test_f50_refused_while_the_carnet_is_on_hold_in_the_territory(world):
    _, t, v = ready_import(world)
    hold_carnet(world.session, v.id, world.officer("be"), "Documents to check")
    world.session.commit()
    with pytest.raises(Conflict, match="on hold"):
        send(world, v)
    world.session.rollback()


def test_f50_another_holders_voucher_is_not_found(world):
    from portal.models import Holder

    _, _, v = ready_import(world)
    other = Holder(given_names="Eve", surname="X", email="eve@example.test", country_code="CH")
    world.session.add(other)
    world.session.commit()
    with pytest.raises(NotFound):
        pd.send(world.session, other, v.id, form(world.officer("fr").office))


def test_f50_edit_while_pending_then_refused_once_customs_acted(world):
    _, _, v = ready_import(world)
    p = send(world, v)
    pd.edit(
        world.session, world.holder, p.id, form(world.officer("fr").office, transport_id="AF99")
    )
    world.session.commit()
    assert p.transport_id == "AF99" and p.version == 2
    pd.acknowledge(world.session, p.id, world.officer("fr"))
    world.session.commit()
    with pytest.raises(Conflict, match="already acknowledged.*can no longer be changed"):
        pd.edit(world.session, world.holder, p.id, form(world.officer("fr").office))
    world.session.rollback()
    with pytest.raises(Conflict, match="can no longer be withdrawn"):
        pd.withdraw(world.session, world.holder, p.id)
    world.session.rollback()


def test_f51_acknowledge_notifies_the_holder_and_emails_through_the_outbox(world):
    _, _, v = ready_import(world)
    p = send(world, v)
    pd.acknowledge(world.session, p.id, world.officer("fr"))
    world.session.commit()
    assert p.state == "acknowledged" and p.acted_by == world.officer("fr").account.full_name
    note = world.session.scalar(
        select(HolderNotification).where(HolderNotification.kind == "predeclaration")
    )
    assert note.title == "Pre-declaration acknowledged" and note.voucher_id == v.id
    kinds = set(world.session.scalars(select(OutboxMessage.kind)))
    assert {"holder_notification", "email"} <= kinds
    assert _actions(world) == ["predeclaration.sent", "predeclaration.acknowledged"]


def test_f51_reject_needs_a_reason_and_the_holder_sees_it(world):
    _, _, v = ready_import(world)
    p = send(world, v)
    with pytest.raises(DomainError, match="reason") as e:
        pd.reject(world.session, p.id, world.officer("fr"), "  ")
    assert e.value.field == "reason"
    world.session.rollback()
    pd.reject(world.session, p.id, world.officer("fr"), "Goods must be inspected")
    world.session.commit()
    assert p.state == "rejected" and p.reason == "Goods must be inspected"
    note = world.session.scalar(
        select(HolderNotification).where(HolderNotification.kind == "predeclaration")
    )
    assert "Goods must be inspected" in note.body and "inspection" in note.body
    with pytest.raises(Conflict, match="already rejected"):
        pd.acknowledge(world.session, p.id, world.officer("fr"))
    world.session.rollback()


def test_f51_commit_goes_through_the_engine_and_marks_it_committed(world):
    _, _, v = ready_import(world)
    p = send(world, v)
    fields = pd.prefilled_fields(p)
    assert fields["reference"] == "AWB 123-456" and "LX1234" in fields["remarks"]
    result = pd.commit(world.session, p.id, world.officer("fr"), fields=fields, commit_token="t1")
    world.session.commit()
    assert p.state == "committed" and p.transaction_id == result.transaction_id
    txn = world.session.get(Transaction, result.transaction_id)
    assert txn.kind == "import" and txn.reference == "AWB 123-456"
    assert txn.office_id == p.office_id
    # a replay of the same token answers the first result
    again = pd.commit(world.session, p.id, world.officer("fr"), fields=fields, commit_token="t1")
    assert again.replayed and again.transaction_id == result.transaction_id
    with pytest.raises(Conflict, match="already committed"):
        pd.commit(world.session, p.id, world.officer("fr"), commit_token="t2")
    world.session.rollback()


def test_f51_commit_checks_the_engine_rules_and_writes_nothing_when_refused(world):
    _, _, v = ready_import(world, exported=False)  # not validated yet: R-01
    p = send(world, v)
    with pytest.raises(Conflict, match="not been validated"):
        pd.commit(world.session, p.id, world.officer("fr"))
    world.session.rollback()
    world.session.expire_all()
    assert world.session.get(type(p), p.id).state == "pending"
    assert world.session.scalar(select(Transaction).where(Transaction.voucher_id == v.id)) is None


def test_f51_a_pre_notification_cannot_be_committed(world):
    _, _, v = ready_import(world)
    p = send(world, v, option="notification_only")
    with pytest.raises(Conflict, match="pre-notification"):
        pd.commit(world.session, p.id, world.officer("fr"))
    world.session.rollback()


def test_r17_another_administration_cannot_act(world):
    _, _, v = ready_import(world)
    p = send(world, v)
    with pytest.raises(NotFound):
        pd.acknowledge(world.session, p.id, world.officer("be"))
    world.session.rollback()


def test_f52_live_fingerprint_changes_with_every_action(world):
    _, _, v = ready_import(world)
    before = pd.status_key(world.session, [v.id])
    p = send(world, v)
    sent = pd.status_key(world.session, [v.id])
    pd.acknowledge(world.session, p.id, world.officer("fr"))
    world.session.commit()
    assert len({before, sent, pd.status_key(world.session, [v.id])}) == 3


def test_f50_changing_the_route_or_deleting_the_travel_withdraws_open_predeclarations(world):
    carnet, t, v = ready_import(world, exported=False)
    p = send(world, v)
    _reroute(world, carnet, t)
    world.session.refresh(p)
    assert p.state == "withdrawn"
    v2 = voucher(world, t, "import")
    p2 = pd.send(world.session, world.holder, v2.id, form(world.officer("be").office))
    world.session.commit()
    travels.delete_travel(world.session, world.holder, t.id)
    world.session.commit()
    world.session.refresh(p2)
    assert p2.state == "withdrawn"
