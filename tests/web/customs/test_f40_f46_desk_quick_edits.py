"""F-40 step 3's Update (the guide: "other fields might be already populated by the holder … the
officer can apply quick changes from here using the Update button") for the holder-filled
fields — means of transport, packaging, holder remarks — recorded as the officer's change and
shown on the receipt; F-41 "goods not re-exported (home use)" at a re-exportation as item
lines, with their refusals; F-46 a hold's customs reference on the On hold list."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from portal.models import AuditEvent, Hold, Transaction, Travel


def _text(r) -> str:
    return html.unescape(r.get_data(as_text=True))


def _error(body: str, field: str) -> str:
    m = re.search(
        rf'<small id="{field}-error" class="field-error" role="alert">([^<]*)</small>', body
    )
    return m.group(1) if m else ""


def _amended(world) -> list[AuditEvent]:
    return list(
        world.session.scalars(select(AuditEvent).where(AuditEvent.action == "travel.amended"))
    )


def _export(kit):
    carnet = kit.issue(items=3, pieces=2)
    out = kit.travel(carnet, "CH", "FR")
    kit.commit(out, "validation", "ch")
    return carnet, out, kit.voucher(out, "export")


# --- step 3: the holder-filled fields ----------------------------------------------------------


def test_f40_update_changes_the_holders_fields_as_the_officers_change_shown_on_the_receipt(
    kit, desk, world
):
    carnet, out, voucher = _export(kit)
    d = desk("ch")
    _, step3, step4 = d.steps(d.start(voucher))
    page = _text(d.client.get(step3))
    assert 'name="transport_mode"' in page and 'name="packaging_details"' in page
    assert 'name="extra_details"' in page
    # Next with the fields as they are: nothing amended, nothing recorded
    r = d.client.post(step3, data={"action": "next", "transport_mode": out.transport_mode})
    assert r.status_code == 303 and _amended(world) == []
    # Update: saved on the travel, recorded as the officer's change (old and new values)
    data = {
        "action": "update",
        "transport_mode": "land",
        "packaging_details": "  2 crates,   sealed ",
        "extra_details": "Truck GE 123",
    }
    r = d.client.post(step3, data=data)
    assert r.status_code == 303 and r.headers["Location"] == step3
    world.session.expire_all()
    travel = world.session.get(Travel, out.id)
    assert (travel.transport_mode, travel.packaging_details, travel.extra_details) == (
        "land",
        "2 crates, sealed",
        "Truck GE 123",
    )
    (event,) = _amended(world)
    officer = world.officer("ch").account
    assert event.actor_type == "account" and event.actor_id == officer.id
    assert event.object_id == str(carnet.eata_id)
    assert event.data["voucher_id"] == voucher.id
    assert event.data["changes"]["transport_mode"] == ["air", "land"]
    assert event.data["changes"]["packaging_details"][1] == "2 crates, sealed"
    page = _text(d.client.get(step3))
    assert "Your changes to the holder" in page and "2 crates, sealed" in page
    # the commit records the amended values on the transaction; the receipt shows them
    r = d.commit(step4, {"final_date": carnet.valid_until.isoformat()})
    assert r.status_code == 303
    (txn,) = kit.transactions(voucher)
    assert (txn.transport_mode, txn.packaging_details, txn.holder_remarks) == (
        "land",
        "2 crates, sealed",
        "Truck GE 123",
    )
    receipt = _text(d.client.get(r.headers["Location"]))
    assert "Packaging details</dt><dd>2 crates, sealed" in receipt
    assert "Holder remarks</dt><dd>Truck GE 123" in receipt and "<dd>Land</dd>" in receipt


def test_r12_update_refuses_a_bad_transport_or_too_long_text_and_changes_nothing(kit, desk, world):
    _, out, voucher = _export(kit)
    d = desk("ch")
    _, step3, _ = d.steps(d.start(voucher))
    r = d.client.post(step3, data={"action": "update", "transport_mode": "rocket"})
    assert r.status_code == 422 and _error(_text(r), "transport_mode") == "Choose air, sea or land."
    assert '<details class="holder-fields" open>' in _text(r)
    r = d.client.post(step3, data={"action": "next", "packaging_details": "x" * 501})
    assert r.status_code == 422
    assert "at most 500 characters" in _error(_text(r), "packaging_details")
    world.session.expire_all()
    travel = world.session.get(Travel, out.id)
    assert travel.transport_mode == "air" and travel.packaging_details == ""
    assert _amended(world) == []


def test_r12_update_after_the_commit_is_refused(kit, desk, world):
    _, out, voucher = _export(kit)
    d = desk("ch")
    _, step3, _ = d.steps(d.start(voucher))
    kit.commit(out, "export", "ch")
    r = d.client.post(step3, data={"action": "update", "packaging_details": "late"})
    assert r.status_code in (303, 409)  # Back after the commit: the receipt, nothing amended
    world.session.expire_all()
    assert world.session.get(Travel, out.id).packaging_details == "" and _amended(world) == []


# --- re-exportation: goods not re-exported (home use) as item lines -----------------------------


def _reexport(kit):
    """Items 1-3 (2 pieces each) imported into France; the way back declares item 1 and 2."""
    carnet, out, _ = _export(kit)
    kit.commit(out, "export", "ch")
    kit.commit(out, "import", "fr")
    back = kit.travel(carnet, "FR", "CH", items={1: 2, 2: 2})
    return carnet, kit.voucher(back, "reexport")


def test_f41_goods_not_reexported_are_item_lines_of_the_reexportation(kit, desk, world):
    carnet, voucher = _reexport(kit)
    d = desk("fr")
    _, _, step4 = d.steps(d.start(voucher))
    page = _text(d.client.get(step4))
    assert "Goods not re-exported (home use)" in page and 'name="not_reexported_3"' in page
    r = d.commit(step4, {"not_reexported_3": "2", "not_reexported_1": ""})
    assert r.status_code == 303, _text(r)[-1500:]
    (txn,) = kit.transactions(voucher)
    lines = sorted((i.line, i.item_no, i.quantity) for i in txn.items)
    assert lines == [("cleared", 1, 2), ("cleared", 2, 2), ("not_reexported", 3, 2)]
    assert "Not re-exported (home use)" in _text(d.client.get(r.headers["Location"]))


def test_r12_not_reexported_forged_or_another_carnets_line_is_refused(kit, desk, world):
    carnet, voucher = _reexport(kit)
    other = kit.issue(items=10)  # its item 9 is not on this carnet's list (3 items)
    assert len(other.items) == 10
    d = desk("fr")
    _, _, step4 = d.steps(d.start(voucher))
    for data, message in (
        ({"not_reexported_abc": "1"}, "No such item on the general list."),
        ({"not_reexported_01": "1"}, "No such item on the general list."),
        ({"not_reexported_99999999999": "1"}, "No such item on the general list."),
        ({"not_reexported_9": "1"}, "Item 9 is not on the general list."),
        ({"not_reexported_3": "two"}, "Item 3: give a whole number of pieces."),
        ({"not_reexported_3": "3"}, "Item 3: give between 0 and 2 piece(s)."),
        ({"not_reexported_1": "1"}, "Item 1: 2 re-exported and 1 not re-exported are more"),
    ):
        r = d.commit(step4, data)
        body = _text(r)
        assert r.status_code == 422, (data, r.status_code)
        assert _error(body, "not_reexported").startswith(message), (data, body[-800:])
    assert kit.transactions(voucher) == []


def test_f41_not_reexported_is_refused_on_another_kind(kit, world):
    import pytest

    from portal.domain import DomainError
    from portal.domain.transactions import commit_voucher

    _, _, voucher = _export(kit)
    with pytest.raises(DomainError) as e:
        commit_voucher(
            world.session, voucher.id, world.officer("ch"), fields={"not_reexported": {1: 1}}
        )
    assert e.value.field == "not_reexported" and e.value.code == "field_not_applicable"
    world.session.rollback()


# --- F-46: the hold's customs reference ---------------------------------------------------------


def test_f46_a_hold_keeps_its_customs_reference_shown_on_the_on_hold_list(kit, desk, world):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    wiz = d.start(voucher).rsplit("/", 1)[0]
    r = d.client.post(wiz + "/hold", data={"reason": "Check", "reference": "x" * 101})
    assert r.status_code == 422 and "at most 100 characters" in _error(_text(r), "hold_reference")
    assert world.session.scalar(select(Hold).where(Hold.carnet_id == carnet.id)) is None
    r = d.client.post(wiz + "/hold", data={"reason": "Check", "reference": " CASE-2026/77 "})
    assert r.status_code == 303
    hold = world.session.scalar(select(Hold).where(Hold.carnet_id == carnet.id))
    assert hold.reference == "CASE-2026/77"
    page = _text(d.client.get("/holds"))
    assert "Customs reference</th>" in page and "<td>CASE-2026/77</td>" in page
    event = world.session.scalar(select(AuditEvent).where(AuditEvent.action == "carnet.held"))
    assert event.data["reference"] == "CASE-2026/77"
    assert (
        world.session.scalar(select(Transaction).where(Transaction.voucher_id == voucher.id))
        is None
    )
