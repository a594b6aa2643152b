"""F-40 step 3 "quick edits": the officer changes the pieces presented per item before the
commit (every kind but a validation); the engine's rules (R-06, at most the declared pieces)
refuse bad values next to the item's field (R-12) and nothing is committed."""

from __future__ import annotations

import re

from portal.domain.carnets import item_marks
from portal.domain.vouchers import code_of

HTMX = {"HX-Request": "true"}


def _text(r) -> str:
    return r.get_data(as_text=True)


def _export(kit, pieces=4):
    """An exportation at the Swiss office of 3 items of `pieces` pieces each, all declared."""
    carnet = kit.issue(items=3, pieces=pieces)
    out = kit.travel(carnet, "CH", "FR")
    kit.commit(out, "validation", "ch")
    return carnet, out, kit.voucher(out, "export")


def _cleared(txn) -> dict[int, int]:
    return {line.item_no: line.quantity for line in txn.items if line.line == "cleared"}


def _error(body: str, field: str) -> str:
    m = re.search(
        rf'<small id="{field}-error" class="field-error" role="alert">([^<]*)</small>', body
    )
    return m.group(1) if m else ""


def _input(body: str, name: str) -> str:
    m = re.search(rf'<input class="qty" name="{name}"[^>]*>', body)
    return m.group(0) if m else ""


def test_f40_r06_partial_quantity_typed_on_step3_is_what_the_receipt_and_transaction_show(
    kit, desk, world
):
    carnet, _, voucher = _export(kit)
    d = desk("ch")
    _, step3, step4 = d.steps(d.start(voucher))
    page = _text(d.client.get(step3))
    field = _input(page, "q_1")
    assert 'value="4"' in field and 'inputmode="numeric"' in field
    assert 'aria-label="Pieces presented of item 1, 4 declared"' in field
    # Next (the form's default button): the marks typed are saved, the pieces presented go to
    # step 4 in its URL — only those that differ from the declaration; nothing committed yet
    r = d.client.post(
        step3,
        data={"action": "next", "q_1": " 2 ", "q_2": "4", "q_3": "0", "marks_1": "SEAL CH-12"},
    )
    assert r.status_code == 303
    assert r.headers["Location"] == step4 + "?q_1=2&q_3=0"
    assert kit.transactions(voucher) == []
    world.session.expire_all()
    item1 = next(i for i in world.session.get(type(carnet), carnet.id).items if i.item_no == 1)
    assert item_marks(carnet, item1) == "SEAL CH-12"
    # step 4 shows what will be committed and carries it as hidden inputs of the commit form;
    # htmx pushes the URL with the state, so a reload keeps it; Back returns with it
    frag = d.client.get(r.headers["Location"], headers={**HTMX, "X-Desk-Panel": str(voucher.id)})
    body = _text(frag)
    assert frag.status_code == 200 and frag.headers["HX-Push-Url"].endswith("/commit?q_1=2&q_3=0")
    assert "Identification marks saved." in body  # the flash, inside the step
    assert "<strong>2</strong> of 4 declared" in body and "<strong>0</strong> of 4 declared" in body
    assert '<input type="hidden" name="q_1" value="2">' in body
    assert '<input type="hidden" name="q_3" value="0">' in body and 'name="q_2"' not in body
    assert 'href="goods?q_1=2&amp;q_3=0">Back</a>' in body
    back = _text(d.client.get(step3 + "?q_1=2&q_3=0"))
    assert 'value="2"' in _input(back, "q_1") and 'value="0"' in _input(back, "q_3")
    # the commit clears the pieces presented: the transaction and the receipt say so
    r = d.commit(step4, {"final_date": carnet.valid_until.isoformat(), "q_1": "2", "q_3": "0"})
    assert r.status_code == 303, _text(r)[-2000:]
    (txn,) = kit.transactions(voucher)
    assert txn.kind == "export" and _cleared(txn) == {1: 2, 2: 4}
    receipt = _text(d.client.get(r.headers["Location"]))
    rows = re.findall(r"<tr><td>(\d+)</td><td>[^<]*</td><td>(\d+)</td>", receipt)
    assert rows == [("1", "2"), ("2", "4")]


def test_r06_more_than_declared_is_refused_next_to_the_field_and_nothing_is_committed(kit, desk):
    carnet, _, voucher = _export(kit)
    d = desk("ch")
    _, step3, step4 = d.steps(d.start(voucher))
    message = "Item 2: give between 0 and the 4 piece(s) declared."
    # leaving step 3 (htmx): the engine's refusal, re-rendered in the step next to item 2
    r = d.client.post(
        step3,
        data={"action": "next", "q_1": "4", "q_2": "5"},
        headers={**HTMX, "X-Desk-Panel": str(voucher.id)},
    )
    body = _text(r)
    assert r.status_code == 422 and body.lstrip().startswith('<div id="step"')
    assert _error(body, "q_2") == message and _error(body, "q_1") == ""
    assert 'value="5"' in _input(body, "q_2") and 'aria-invalid="true"' in _input(body, "q_2")
    assert 'aria-describedby="q_2-error"' in _input(body, "q_2")
    # the same from a URL typed or kept (step 4 with the state): back to step 3, 422
    r = d.client.get(step4 + "?q_2=5")
    assert r.status_code == 422 and "3. Check the goods" in _text(r)
    assert _error(_text(r), "q_2") == message
    # and at the commit itself (a forged hidden input): refused on step 3, nothing committed
    r = d.commit(step4, {"final_date": carnet.valid_until.isoformat(), "q_2": "9"})
    assert r.status_code == 422 and _error(_text(r), "q_2") == message
    # no piece at all: said above the goods
    r = d.client.post(step3, data={"action": "next", "q_1": "0", "q_2": "0", "q_3": "0"})
    assert r.status_code == 422
    assert _error(_text(r), "quantities").startswith("At least one item must be presented")
    # an item the voucher does not clear
    r = d.client.get(step4 + "?q_7=1")
    assert r.status_code == 422
    assert _error(_text(r), "quantities") == "Item 7 is not declared for this transaction."
    assert kit.transactions(voucher) == []
    # the voucher is still usable with right quantities
    r = d.commit(step4, {"final_date": carnet.valid_until.isoformat(), "q_2": "3"})
    assert r.status_code == 303 and _cleared(kit.transactions(voucher)[0]) == {1: 4, 2: 3, 3: 4}


def test_r12_non_numeric_pieces_get_a_clear_message_and_change_nothing(kit, desk, world):
    carnet, _, voucher = _export(kit)
    d = desk("ch")
    _, step3, step4 = d.steps(d.start(voucher))
    for typed in ("two", "-1", "1.5", "", "２"):
        r = d.client.post(step3, data={"action": "update", "q_1": typed, "marks_1": "SEAL X"})
        assert r.status_code == 422, typed
        assert _error(_text(r), "q_1") == "Item 1: type a whole number of pieces, from 0 to 4.", (
            typed
        )
    world.session.expire_all()
    item1 = next(i for i in world.session.get(type(carnet), carnet.id).items if i.item_no == 1)
    assert item_marks(carnet, item1) != "SEAL X"  # the marks were not saved either
    r = d.commit(step4, {"final_date": carnet.valid_until.isoformat(), "q_1": "abc"})
    assert r.status_code == 422 and "3. Check the goods" in _text(r)
    assert kit.transactions(voucher) == []
    # Update with good values saves and stays on step 3 with the state in its URL
    r = d.client.post(step3, data={"action": "update", "q_1": "1"})
    assert r.status_code == 303 and r.headers["Location"] == step3 + "?q_1=1"


def test_f41_validation_shows_no_quantity_inputs(kit, desk):
    carnet = kit.issue(items=2, pieces=3)
    voucher = kit.voucher(kit.travel(carnet, "CH", "FR"), "validation")
    d = desk("ch")
    _, step3, step4 = d.steps(d.start(voucher))
    page = _text(d.client.get(step3))
    assert "3. Check the goods" in page and 'name="q_' not in page
    assert "Pieces presented" not in page and "Save identification marks" in page
    # pieces sent anyway are not the validation's: it clears the whole general list, and a
    # commit form that names other pieces is refused, so nothing else than step 4 showed goes
    r = d.client.post(step3, data={"action": "next", "q_1": "0"})
    assert r.status_code == 303 and r.headers["Location"] == step4
    r = d.client.get(step4 + "?q_1=0")
    assert r.status_code == 409 and 'name="q_' not in _text(r)
    r = d.commit(step4, {"goods_examined": "yes", "q_1": "0"})
    assert r.status_code == 409 and "can no longer be changed" in _text(r)
    assert kit.transactions(voucher) == []
    r = d.commit(step4, {"goods_examined": "yes"})
    assert r.status_code == 303 and _cleared(kit.transactions(voucher)[0]) == {1: 3, 2: 3}


def test_r06_reexport_of_more_than_was_imported_is_refused_next_to_the_item(kit, desk):
    """A split shipment: 2 of the 4 pieces of item 1 were imported into France; the way back
    declares all 4. Leaving step 3, and the commit, refuse item 1 next to its field."""
    carnet, out, _ = _export(kit)
    kit.commit(out, "export", "ch")
    kit.commit(out, "import", "fr", fields={"quantities": {1: 2}})
    back = kit.travel(carnet, "FR", "CH")
    voucher = kit.voucher(back, "reexport")
    d = desk("fr")
    _, step3, step4 = d.steps(d.start(voucher))
    r = d.client.post(step3, data={"action": "next"})
    assert r.status_code == 409
    assert _error(_text(r), "q_1").startswith("Item 1: 4 piece(s) cannot be re-exported: only 2")
    data = {"action_not_reexported": "-", "action_not_produced": "-"}
    r = d.commit(step4, data)  # straight to the commit: the engine refuses it the same way
    assert r.status_code == 409 and "3. Check the goods" in _text(r)
    assert _error(_text(r), "q_1").startswith("Item 1: 4 piece(s) cannot be re-exported")
    assert kit.transactions(voucher) == []
    r = d.client.post(step3, data={"action": "next", "q_1": "2"})
    assert r.status_code == 303 and r.headers["Location"] == step4 + "?q_1=2"
    r = d.commit(step4, {**data, "q_1": "2"})
    assert r.status_code == 303 and _cleared(kit.transactions(voucher)[0]) == {1: 2, 2: 4, 3: 4}


def test_r11_partial_quantities_commit_once(kit, desk):
    carnet, _, voucher = _export(kit)
    d = desk("ch")
    _, _, step4 = d.steps(d.start(voucher))
    data = {"final_date": carnet.valid_until.isoformat(), "q_1": "1"}
    r1 = d.commit(step4, data)
    r2 = d.commit(step4, data)  # double click / reload of the POST
    r3 = d.commit(step4, {**data, "q_1": "3"}, htmx=True)  # back, another number, resubmit
    assert r1.status_code == r2.status_code == r3.status_code == 303
    assert r1.headers["Location"] == r2.headers["Location"] == r3.headers["Location"]
    (txn,) = kit.transactions(voucher)
    assert _cleared(txn) == {1: 1, 2: 4, 3: 4}
    # the receipt says the resubmission committed nothing new (its own numbers are the first)
    page = _text(d.client.get(r3.headers["Location"], headers=HTMX))
    assert "already committed: the receipt shows what was committed then" in page
    page = _text(d.client.get(r3.headers["Location"], headers=HTMX))
    assert "already committed" not in page  # said once


def test_f42_exit_of_a_pre_exportation_keeps_its_pieces_without_inputs(kit, desk):
    carnet = kit.issue(departure="BE", countries=("CH", "FR", "NO"), items=2, pieces=3)
    t = kit.travel(carnet, "BE", "CH")
    kit.commit(t, "validation", "be")
    voucher = kit.voucher(t, "export")
    d = desk("be")
    _, step3, step4 = d.steps(d.start(voucher))
    r = d.client.post(step3, data={"action": "next", "q_1": "1"})
    assert r.status_code == 303
    final = carnet.valid_until.isoformat()
    r = d.commit(step4, {"step": "export", "final_date": final, "q_1": "1"})
    assert r.status_code == 303
    # the exit, in a new pass: the pre-exportation's pieces, no inputs to change them
    _, step3, step4 = d.steps(d.start(voucher))
    page = _text(d.client.get(step3))
    assert 'name="q_' not in page and "goods of the pre-exportation" in page
    assert re.search(
        r"<tr><td class=\"num\">1</td><td>[^<]*</td><td class=\"num\"><strong>1</strong></td>", page
    )
    # a commit form still naming other pieces (step 4 shown before the pre-exportation, in
    # another tab) is refused: the exit clears the pre-exportation's goods, nothing else
    r = d.commit(step4, {"step": "exit", "final_date": final, "q_1": "3"})
    assert r.status_code == 409 and "can no longer be changed" in _text(r)
    assert [t.kind for t in kit.transactions(voucher)] == ["pre_export"]
    r = d.commit(step4, {"step": "exit", "final_date": final})
    assert r.status_code == 303
    pre, export = kit.transactions(voucher)
    assert (pre.kind, export.kind) == ("pre_export", "export")
    assert _cleared(pre) == _cleared(export) == {1: 1, 2: 3}


def test_f40_step3_enter_in_a_field_goes_on_to_step4(kit, desk):
    """The first submit button of step 3's form is "Next: commit": Enter in a field goes on."""
    carnet, _, voucher = _export(kit)
    d = desk("ch")
    r = d.lookup(carnet.eata_id, code_of(voucher))
    _, step3, _ = d.steps(r.headers["Location"])
    page = _text(d.client.get(step3, headers={**HTMX, "X-Desk-Panel": str(voucher.id)}))
    buttons = re.findall(r'<button type="submit"[^>]*>([^<]*)</button>', page)
    assert buttons[:2] == ["Next: commit", "Update"]


def test_r11_back_after_a_commit_with_changed_pieces_shows_its_receipt(kit, desk):
    """Back or a reload of steps 3 and 4 after the commit (their URLs still carry the pieces
    presented) shows the receipt of what was committed — no false refusal counting the
    officer's own commit against the stock, and no second pass."""
    carnet, _, voucher = _export(kit)
    d = desk("ch")
    _, step3, step4 = d.steps(d.start(voucher))
    r = d.commit(step4, {"final_date": carnet.valid_until.isoformat(), "q_1": "2"})
    assert r.status_code == 303
    receipt = r.headers["Location"]
    for method, url, data in (
        ("GET", step4 + "?q_1=2", None),
        ("GET", step3 + "?q_1=2", None),
        ("POST", step3, {"action": "next", "q_1": "2"}),
    ):
        for htmx in (False, True):
            headers = HTMX if htmx else {}
            r = (
                d.client.get(url, headers=headers)
                if method == "GET"
                else d.client.post(url, data=data, headers=headers)
            )
            assert r.status_code == 303 and r.headers["Location"] == receipt, (method, url)
    (txn,) = kit.transactions(voucher)
    assert _cleared(txn) == {1: 2, 2: 4, 3: 4}


def test_r12_item_fields_spelled_otherwise_are_no_fields_and_never_fail(kit, desk, world):
    """q_/marks_ fields name an item by its number in ASCII digits without a leading zero:
    other spellings (superscript or Arabic-Indic digits, a leading zero) name no item — no
    server error, no second value for the same item — and the URL fills no marks."""
    carnet, _, voucher = _export(kit)
    d = desk("ch")
    _, step3, step4 = d.steps(d.start(voucher))
    marks_before = {i.item_no: item_marks(carnet, i) for i in carnet.items}
    for query in ("?q_²=1", "?q_01=1", "?q_\u0661=1"):
        r = d.client.get(step3 + query)
        assert r.status_code == 200 and 'value="4"' in _input(_text(r), "q_1"), query
    r = d.client.post(
        step3,
        data={
            "action": "next",
            "q_1": "2",
            "q_01": "0",
            "q_²": "0",
            "marks_²": "X",
            "marks_01": "Y",
        },
    )
    assert r.status_code == 303 and r.headers["Location"] == step4 + "?q_1=2"
    world.session.expire_all()
    carnet = world.session.get(type(carnet), carnet.id)
    assert {i.item_no: item_marks(carnet, i) for i in carnet.items} == marks_before
    # a link cannot put identification marks into the officer's form
    # (the language switch's "come back here" link keeps the address as typed, escaped)
    page = _text(d.client.get(step3 + "?marks_1=FORGED"))
    fields = re.findall(r"<(?:input|textarea)[^>]*>[^<]*", page)
    assert fields and not [f for f in fields if "FORGED" in f and 'name="next"' not in f]
    assert page.count("FORGED") == page.count("marks_1=FORGED")
    r = d.commit(step4, {"final_date": carnet.valid_until.isoformat(), "q_1": "2", "q_01": "0"})
    assert r.status_code == 303
    (txn,) = kit.transactions(voucher)
    assert _cleared(txn) == {1: 2, 2: 4, 3: 4}
