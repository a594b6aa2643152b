"""F-40, F-41, F-43: every one of the seven kinds through the five steps of the wizard."""

import pytest
from sqlalchemy import select

from portal.domain.transactions import verification_code_of
from portal.domain.vouchers import format_code
from portal.models import OutboxMessage

FIELDS = {
    "validation": ({"goods_examined": "yes"}, ["Goods examined?"]),
    "export": ({"final_date": ""}, ["Final date for re-importation"]),
    "import": ({"final_date": ""}, ["Final date for re-exportation"]),
    "reexport": (
        {"action_not_reexported": "None", "action_not_produced": "Sold, duty paid"},
        ["Action taken for goods produced but not re-exported"],
    ),
    "reimport": (
        {"not_reimported_1": "0", "processed_abroad_2": "0"},
        ["Goods not re-imported / processed abroad"],
    ),
    "transit_open": ({"customs_seals": "SEAL-42"}, ["Customs seals", "Final date for the transit"]),
    "transit_close": ({}, []),
}


@pytest.mark.parametrize("kind", list(FIELDS))
def test_f40_f41_each_kind_through_the_five_steps(kit, desk, world, kind):
    carnet, voucher, cc = kit.prepare(kind)
    d = desk(cc)
    carnet_url = d.start(voucher)
    step2, step3, step4 = d.steps(carnet_url)

    page = d.client.get(step2).get_data(as_text=True)
    assert carnet.carnet_number in page and "Studio Lumière SPRL" in page
    assert "Anne Peeters" in page and "Box P" in page and "Camera body Arri Alexa" in page
    goods = d.client.get(step3).get_data(as_text=True)
    assert "ARRI-1001" in goods and "3. Check the goods" in goods
    form = d.client.get(step4).get_data(as_text=True)
    for text in FIELDS[kind][1]:
        assert text in form
    data, _ = FIELDS[kind]
    if kind in ("export", "import"):
        data = {"final_date": carnet.valid_until.isoformat()}
    r = d.commit(step4, {**data, "reference": "REF-1"})
    assert r.status_code == 303, r.get_data(as_text=True)[-3000:]
    txns = kit.transactions(voucher)
    assert [t.kind for t in txns] == [kind] and txns[0].reference == "REF-1"
    assert r.headers["Location"].endswith(f"/transactions/{txns[0].id}/receipt")
    receipt = d.client.get(r.headers["Location"]).get_data(as_text=True)
    assert format_code(verification_code_of(txns[0])) in receipt
    qr_url = f"/transactions/{txns[0].id}/qr.svg"
    assert f'<img src="{qr_url}"' in receipt
    qr = d.client.get(qr_url)
    assert qr.mimetype == "image/svg+xml" and b"<svg" in qr.data and b"<path" in qr.data
    assert "New transaction" in receipt and "Print receipt" in receipt
    if kind == "transit_open":
        assert txns[0].customs_seals == "SEAL-42"
    if kind == "validation":
        assert txns[0].goods_examined is True
    # the engine wrote the email receipt to the holder's outbox
    mails = world.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "email", OutboxMessage.recipient == world.holder.email
        )
    ).all()
    assert any("committed" in m.subject and carnet.carnet_number in m.subject for m in mails)


def test_f40_steps_answer_htmx_with_a_fragment(kit, desk):
    """The full page is the wizard's shell (stepper, carnet panel) around the step; an htmx
    request gets the step only (scan.js moves the stepper to its data-step), and the carnet
    panel only when the page shows another one (X-Desk-Panel, sent by scan.js)."""
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    from portal.domain.vouchers import code_of

    r = d.lookup(carnet.eata_id, code_of(voucher), htmx=True)
    assert r.status_code == 303
    step2, step3, _ = d.steps(r.headers["Location"])
    wizard = step2.rsplit("/", 1)[0]
    full = d.client.get(step2).get_data(as_text=True)
    assert "<html" in full and 'id="carnet-panel"' in full and 'id="steps"' in full
    assert f'data-key="{voucher.id}"' in full and "hx-swap-oob" not in full
    # a full page has everything in it: the general list, the history, Hold and Reject
    assert "Camera body Arri Alexa" in full and "No transactions yet." in full
    assert 'id="hold-reason"' in full and 'id="reject_reason"' in full and "csrf_token" in full
    # arriving from step 1 (the page shows no panel): the step and the panel, no stepper
    frag = d.client.get(step2, headers={"HX-Request": "true", "X-Desk-Panel": ""})
    body = frag.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="step" class="step" data-step="2">')
    assert "<html" not in body and 'id="steps"' not in body
    assert '<aside id="carnet-panel"' in body and "Studio Lumière SPRL" in body
    assert frag.headers["HX-Push-Url"].endswith("/carnet")
    assert "X-Desk-Panel" in frag.headers["Vary"]
    # ... the general list and history come after it, in their own request; Hold and Reject
    # when the officer opens "Hold or reject…"
    assert 'hx-get="lists" hx-trigger="load"' in body and "Camera body Arri Alexa" not in body
    assert 'hx-get="actions" hx-trigger="toggle once"' in body and 'id="hold-reason"' not in body
    lists = d.client.get(wizard + "/lists", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Camera body Arri Alexa" in lists and "No transactions yet." in lists
    assert "<html" not in lists
    actions = d.client.get(wizard + "/actions", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert 'id="hold-reason"' in actions and 'id="reject_reason"' in actions
    assert actions.count('name="csrf_token"') == 2  # each form carries its token (a plain
    # POST before htmx wires the form up goes through too)
    # within the same wizard the panel stays on the page: not sent again
    frag3 = d.client.get(step3, headers={"HX-Request": "true", "X-Desk-Panel": str(voucher.id)})
    body3 = frag3.get_data(as_text=True)
    assert "3. Check the goods" in body3 and 'id="carnet-panel"' not in body3
    assert 'data-step="3"' in body3 and 'id="steps"' not in body3
    assert "Studio Lumière SPRL" not in body3 and len(frag3.data) < len(full) * 0.6
    # back to step 1: the panel is emptied out of band
    frag1 = d.client.get(
        "/transactions/new", headers={"HX-Request": "true", "X-Desk-Panel": str(voucher.id)}
    )
    assert '<div id="carnet-panel" data-key="" hx-swap-oob="true"></div>' in frag1.get_data(
        as_text=True
    )
    # the parts of step 2 are the wizard's: another officer's session gets a 404
    other = desk(cc, 1) if cc != "ch" else desk("fr")
    assert other.client.get(wizard + "/lists").status_code == 404
    assert other.client.get(wizard + "/actions").status_code == 404


def test_f42_eu_export_then_exit(kit, desk):
    carnet = kit.issue(departure="BE", countries=("CH", "FR", "NO"))
    t = kit.travel(carnet, "BE", "CH")
    kit.commit(t, "validation", "be")
    voucher = kit.voucher(t, "export")
    d = desk("be")
    _, _, step4 = d.steps(d.start(voucher))
    form = d.client.get(step4).get_data(as_text=True)
    assert "EU exportation" in form and 'value="export"' in form
    r = d.commit(step4, {"step": "export", "final_date": carnet.valid_until.isoformat()})
    assert r.status_code == 303
    assert [x.kind for x in kit.transactions(voucher)] == ["pre_export"]
    # the exit, at the office where the goods leave the EU: a new pass through the wizard
    _, _, step4 = d.steps(d.start(voucher))
    r = d.commit(step4, {"step": "exit", "final_date": carnet.valid_until.isoformat()})
    assert r.status_code == 303
    assert [x.kind for x in kit.transactions(voucher)] == ["pre_export", "export"]


def test_f40_step1_office_is_prefilled_and_only_the_region_offices_are_offered(kit, desk):
    d = desk("be")
    page = d.client.get("/transactions/new").get_data(as_text=True)
    assert f'value="{d.office_id}" selected' in page
    assert d.officer.account.full_name in page
    assert "qr-scanner.umd.min.js" in page  # offered on step 1 only
    carnet, voucher, _ = kit.prepare("validation")
    step2 = d.client.get(d.start(voucher)).get_data(as_text=True)
    assert "qr-scanner" not in step2


def test_f40_step3_officer_puts_identification_marks(kit, desk, world):
    from portal.domain.carnets import item_marks

    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    _, step3, _ = d.steps(d.start(voucher))
    r = d.client.post(step3, data={"marks_1": "SEAL CH-77", "marks_2": ""})
    assert r.status_code == 303
    world.session.expire_all()
    item = next(i for i in world.session.get(type(carnet), carnet.id).items if i.item_no == 1)
    assert item_marks(carnet, item) == "SEAL CH-77"
    assert "SEAL CH-77" in d.client.get(step3).get_data(as_text=True)
    r = d.client.post(step3, data={"marks_99": "x"})
    assert r.status_code == 422 and "Item 99 is not among the goods" in r.get_data(as_text=True)
    r = d.client.post(step3, data={"marks_1": "x" * 201})
    assert r.status_code == 422 and 'id="marks_1-error"' in r.get_data(as_text=True)


def test_f45_step1_lists_the_offices_last_transactions(kit, desk):
    """Step 1 loads the office's last transactions after the step (hx-trigger=load)."""
    carnet, voucher, cc = kit.prepare("export")
    kit.commit(voucher.travel, "export", cc)
    d = desk(cc)
    page = d.client.get("/transactions/new").get_data(as_text=True)
    url = f"/transactions/recent?office_id={d.office_id}"
    assert f'hx-get="{url}" hx-trigger="load"' in page
    listed = d.client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Last transactions" in listed and carnet.carnet_number in listed
    assert "<html" not in listed
    # another administration's office lists nothing of this one (tenant isolation)
    other = d.world.officer("fr" if cc != "fr" else "be").office.id
    assert carnet.carnet_number not in d.client.get(
        f"/transactions/recent?office_id={other}"
    ).get_data(as_text=True)
