"""F-45 Last transactions at the desk: carnet number and holder on each row, paging, a print
view; an EU exportation committed with its exit is one row; F-44 cancellation from the receipt
(step 5) with the holder's code, as the guide shows."""

from __future__ import annotations

from sqlalchemy import select

from portal.domain.paging import PER_PAGE
from portal.domain.transactions import cancellation_code_of
from portal.models import Transaction


def _text(r) -> str:
    return r.get_data(as_text=True)


def test_f45_rows_carry_carnet_number_and_holder_and_eu_exit_is_one_row(kit, desk):
    carnet = kit.issue(departure="BE", countries=("CH", "FR", "NO"))
    t = kit.travel(carnet, "BE", "CH")
    kit.commit(t, "validation", "be")
    voucher = kit.voucher(t, "export")
    d = desk("be")
    _, _, step4 = d.steps(d.start(voucher))
    r = d.commit(step4, {"step": "exit", "final_date": carnet.valid_until.isoformat()})
    assert r.status_code == 303
    assert sorted(x.kind for x in kit.transactions(voucher)) == ["export", "pre_export"]
    page = _text(d.client.get("/transactions/last"))
    assert carnet.carnet_number in page and "Studio Lumière SPRL" in page
    assert "Exportation</strong> (with pre-exportation)" in page
    assert page.count('<article class="txn"') == 2  # the validation and the exportation
    assert page.count("Cancel the transaction") == 2  # not the pre-exportation inside it
    assert "Pre-exportation</strong>" not in page


def test_f45_paging_and_print_view(kit, desk):
    d = desk("ch")
    numbers = []
    for _ in range(PER_PAGE + 1):
        carnet = kit.issue(items=1)
        kit.commit(kit.travel(carnet, "CH", "FR"), "validation", "ch")
        numbers.append(carnet.carnet_number)
    first = _text(d.client.get("/transactions/last"))
    assert first.count('<article class="txn"') == PER_PAGE and 'rel="next"' in first
    assert numbers[-1] in first and numbers[0] not in first  # newest first
    second = _text(d.client.get(f"/transactions/last?office_id={d.office_id}&page=2"))
    assert second.count('<article class="txn"') == 1 and numbers[0] in second
    assert 'rel="prev"' in second
    printed = d.client.get(f"/transactions/last/print?office_id={d.office_id}&page=2")
    body = _text(printed)
    assert printed.status_code == 200 and numbers[0] in body and "Studio Lumière SPRL" in body
    assert 'class="sidenav"' not in body and "Cancel" not in body
    # a page past the end is the last page; another administration's office lists nothing
    assert numbers[0] in _text(d.client.get("/transactions/last?page=99"))


def test_f44_cancel_from_the_receipt_with_the_holders_code(kit, desk, world):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    _, _, step4 = d.steps(d.start(voucher))
    r = d.commit(step4, {"goods_examined": "no"})
    receipt = r.headers["Location"]
    page = _text(d.client.get(receipt))
    assert "Cancel this transaction…" in page and 'name="from" value="receipt"' in page
    txn = world.session.scalar(select(Transaction).where(Transaction.voucher_id == voucher.id))
    url = f"/transactions/{txn.id}/cancel"
    # a wrong code: refused on the receipt step, next to the field, nothing cancelled
    r = d.client.post(
        url,
        data={"from": "receipt", "cancellation_code": "AAAA-AAAA", "reason": "Typo"},
        headers={"HX-Request": "true"},
    )
    body = _text(r)
    assert r.status_code == 422 and "5. Receipt" in body and 'id="cancellation_code-error"' in body
    world.session.expire_all()
    assert world.session.get(Transaction, txn.id).state == "committed"
    r = d.client.post(
        url,
        data={
            "from": "receipt",
            "cancellation_code": cancellation_code_of(txn),
            "reason": "Wrong carnet",
        },
    )
    assert r.status_code == 303 and r.headers["Location"].endswith(
        f"/transactions/{txn.id}/receipt"
    )
    world.session.expire_all()
    assert world.session.get(Transaction, txn.id).state == "cancelled"
    page = _text(d.client.get(r.headers["Location"]))
    assert "was cancelled" in page and "Cancel this transaction…" not in page
