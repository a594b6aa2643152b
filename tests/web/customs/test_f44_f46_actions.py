"""R-11, R-12, F-44, F-44a, F-45, F-46 at the desk: refusals on their step, one commit per
token, reject, cancel, hold, release, and the permissions around them."""

import html
import re
import zlib

from sqlalchemy import select

from portal.domain.transactions import cancellation_code_of, verification_code_of
from portal.domain.vouchers import NO_MATCH, code_of
from portal.models import AuditEvent, Hold, Office, Rejection, Transaction


def _text(r) -> str:
    return html.unescape(r.get_data(as_text=True))


# --- refusals on their step ---------------------------------------------------------


def test_r12_step1_wrong_code_is_refused_next_to_the_code(kit, desk):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    r = d.lookup(carnet.eata_id, "AAAAAAAAAAAAA")
    assert r.status_code == 422
    assert NO_MATCH in _text(r) and 'id="code-error"' in _text(r)
    r = d.lookup("", "")
    assert r.status_code == 422 and "Type the transaction code." in _text(r)
    r = d.client.post(
        "/transactions/new", data={"qr": "EATA1:1:XXXX:bad", "office_id": str(d.office_id)}
    )
    assert r.status_code == 422 and "not an eATA transaction code" in _text(r)


def test_r16_step1_office_of_another_administration_is_refused(kit, desk):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    r = d.lookup(carnet.eata_id, code_of(voucher), office_id=kit.office("be").id)
    assert r.status_code == 422 and "Choose one of the offices of your region." in _text(r)


def test_r12_step4_missing_field_is_refused_next_to_it(kit, desk):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    _, _, step4 = d.steps(d.start(voucher))
    r = d.commit(step4, {}, htmx=True)
    assert r.status_code == 422
    body = _text(r)
    assert "Say whether the goods were examined (yes or no)." in body
    assert 'id="goods_examined-error"' in body and "<html" not in body
    assert kit.transactions(voucher) == []


def test_r12_step4_engine_rule_refusal_in_plain_words(kit, desk):
    """The Swiss exportation presented at a French office: refused on step 4."""
    carnet = kit.issue()
    t = kit.travel(carnet, "CH", "FR")
    kit.commit(t, "validation", "ch")
    voucher = kit.voucher(t, "export")
    d = desk("fr")
    _, _, step4 = d.steps(d.start(voucher))
    r = d.commit(step4, {"final_date": carnet.valid_until.isoformat()})
    assert r.status_code in (409, 422)
    assert 'class="field-error"' in _text(r) and kit.transactions(voucher) == []


def test_r12_step4_final_date_after_validity_refused_next_to_the_field(kit, desk):
    carnet, voucher, cc = kit.prepare("export")
    d = desk(cc)
    _, _, step4 = d.steps(d.start(voucher))
    r = d.commit(step4, {"final_date": "2999-01-01"})
    assert r.status_code == 422 and 'id="final_date-error"' in _text(r)


def test_r12_voucher_committed_by_another_pass_is_refused(kit, desk):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    first = d.steps(d.start(voucher))[2]
    second = d.steps(d.start(voucher))[2]
    assert d.commit(first, {"goods_examined": "no"}).status_code == 303
    r = d.commit(second, {"goods_examined": "no"})
    assert r.status_code == 409 and "already committed" in _text(r)


# --- one commit per token -------------------------------------------------------------


def test_r11_double_submit_and_replay_commit_once(kit, desk):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    _, _, step4 = d.steps(d.start(voucher))
    r1 = d.commit(step4, {"goods_examined": "yes"})
    r2 = d.commit(step4, {"goods_examined": "yes"})  # double click / reload / back + resubmit
    r3 = d.commit(step4, {"goods_examined": "yes"}, htmx=True)
    assert r1.status_code == r2.status_code == r3.status_code == 303
    assert r1.headers["Location"] == r2.headers["Location"] == r3.headers["Location"]
    assert len(kit.transactions(voucher)) == 1


def test_r11_a_tampered_wizard_token_is_a_404(kit, desk):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    url = d.start(voucher)
    assert d.client.get(url.replace("/w/", "/w/x")).status_code == 404
    other = desk(cc, 1) if cc != "ch" else desk("fr")
    assert other.client.get(url).status_code == 404


# --- F-44a reject, F-46 hold and release ------------------------------------------------------


def test_f44a_reject_needs_a_reason_and_keeps_the_voucher(kit, desk, world):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    wiz = d.start(voucher).rsplit("/", 1)[0]
    r = d.client.post(wiz + "/reject", data={"reason": "  "})
    assert r.status_code == 422 and "Give the reason for the rejection." in _text(r)
    r = d.client.post(wiz + "/reject", data={"reason": "Goods not presented"})
    assert r.status_code == 303
    rej = world.session.scalars(select(Rejection).where(Rejection.voucher_id == voucher.id)).all()
    assert [x.reason for x in rej] == ["Goods not presented"]
    # the voucher stays usable
    assert d.lookup(carnet.eata_id, code_of(voucher)).status_code == 303


def test_f44a_f46_reject_and_hold_from_htmx(kit, desk, world):
    """From the wizard (htmx) a refusal swaps step 2 in with the message next to the reason;
    success sends the browser to a whole page (HX-Redirect), not a fragment of it."""
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    wiz = d.start(voucher).rsplit("/", 1)[0]
    htmx = {"HX-Request": "true", "X-Desk-Panel": str(voucher.id)}
    r = d.client.post(wiz + "/reject", data={"reason": ""}, headers=htmx)
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="reject_reason-error"' in body and "<html" not in body
    assert 'aria-describedby="reject_reason-error"' in body
    r = d.client.post(wiz + "/hold", data={"reason": "Check with the NGA"}, headers=htmx)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/holds" and not r.data
    assert "Check with the NGA" in _text(d.client.get("/holds"))
    assert world.session.scalar(select(Hold).where(Hold.carnet_id == carnet.id)) is not None


def test_f44a_step2_shows_the_rejections_of_its_territory_in_page_and_htmx_lists(kit, desk):
    """Step 2 shows the history and this territory's rejections: in a full page, and in the
    lists an htmx answer loads after the step."""
    carnet, voucher, cc = kit.prepare("export")
    d = desk(cc)
    wiz = d.start(voucher).rsplit("/", 1)[0]
    assert d.client.post(wiz + "/reject", data={"reason": "Seal broken"}).status_code == 303
    wiz = d.start(voucher).rsplit("/", 1)[0]
    full = _text(d.client.get(wiz + "/carnet"))
    lists = _text(d.client.get(wiz + "/lists", headers={"HX-Request": "true"}))
    for page in (full, lists):
        assert "Rejections in this territory" in page and "Seal broken" in page
        assert "validation" in page  # the history: the validation committed before
    # a refusal of Hold from htmx re-renders step 2 with its forms open, the message next to
    # the reason and the reason kept
    r = d.client.post(
        wiz + "/hold",
        data={"reason": " "},
        headers={"HX-Request": "true", "X-Desk-Panel": str(voucher.id)},
    )
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and '<details class="hold-reject" open>' in body
    assert 'id="reason-error"' in body and 'hx-get="actions"' not in body


def test_f46_hold_list_and_release_same_office_only(kit, desk, world):
    carnet, voucher, cc = kit.prepare("export")
    d = desk(cc)
    wiz = d.start(voucher).rsplit("/", 1)[0]
    r = d.client.post(wiz + "/hold", data={"reason": ""})
    assert r.status_code == 422 and "Give the reason for holding the carnet." in _text(r)
    r = d.client.post(wiz + "/hold", data={"reason": "Check with the NGA"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/holds")
    page = _text(d.client.get("/holds"))
    for text in (
        "Check with the NGA",
        carnet.carnet_number,
        "Studio Lumière SPRL",
        "exportation",
        d.officer.account.full_name,
        d.officer.office.name,
    ):
        assert text in page
    hold = world.session.scalar(select(Hold).where(Hold.carnet_id == carnet.id))
    # a commit while held is refused on step 4
    r = d.commit(wiz + "/commit", {"final_date": carnet.valid_until.isoformat()})
    assert r.status_code in (409, 422) and "hold" in _text(r).lower()
    # from another office of the region, it cannot be released
    mine = d.officer.office
    second = Office(
        customs_id=mine.customs_id,
        region_id=mine.region_id,
        name="Second post",
        country_code=mine.country_code,
    )
    world.session.add(second)
    world.session.commit()
    r = d.client.post(f"/holds/{hold.id}/release", data={"office_id": str(second.id)})
    assert r.status_code == 403 and "Only an officer of" in _text(r)
    r = d.client.post(f"/holds/{hold.id}/release", data={"office_id": str(d.office_id)})
    assert r.status_code == 303
    world.session.expire_all()
    assert world.session.get(Hold, hold.id).released_at is not None
    assert "No carnet is on hold." in _text(d.client.get("/holds"))


def test_f46_held_carnet_on_step2_no_next_and_release_by_rescanning(kit, desk, world):
    """A held carnet: step 2 shows the hold first and no "Next"; rescanned at the office that
    held it, step 2 offers the release (behind a confirmation), which the engine records; the
    On hold list shows the cleared goods and the customs territory."""
    carnet, voucher, cc = kit.prepare("export")
    d = desk(cc)
    wiz = d.start(voucher).rsplit("/", 1)[0]
    assert d.client.post(wiz + "/hold", data={"reason": "Seal broken"}).status_code == 303
    hold = world.session.scalar(select(Hold).where(Hold.carnet_id == carnet.id))
    holds = _text(d.client.get("/holds"))
    assert "Cleared goods" in holds and "Customs territory" in holds
    assert "Yes, release the carnet" in holds and "Release…" in holds  # a confirmation first
    # the holder's code scanned again: step 2 with the hold, without "Next"
    again = d.start(voucher)
    page = _text(d.client.get(again))
    assert 'class="hold-alert"' in page and "Seal broken" in page
    assert "Next: check goods" not in page and "Release the hold…" in page
    wiz2 = again.rsplit("/", 1)[0]
    # another carnet's hold id, or none: 404
    assert d.client.post(wiz2 + "/release", data={"hold_id": "999999"}).status_code == 404
    assert d.client.post(wiz2 + "/release", data={}).status_code == 404
    r = d.client.post(wiz2 + "/release", data={"hold_id": str(hold.id)})
    assert r.status_code == 303 and r.headers["Location"].endswith("/carnet")
    world.session.expire_all()
    released = world.session.get(Hold, hold.id)
    assert released.released_at is not None and released.released_by
    events = world.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "carnet.released")
    ).all()
    assert len(events) == 1
    page = _text(d.client.get(again))
    assert "Next: check goods" in page and 'class="hold-alert"' not in page
    assert "was released" in page


def test_f46_release_from_step2_refused_at_another_office(kit, desk, world):
    """Rescanned at another office of the region: the hold shows who may release it, no
    release form; a release posted anyway is refused by the engine, nothing changes."""
    carnet, voucher, cc = kit.prepare("export")
    d = desk(cc)
    wiz = d.start(voucher).rsplit("/", 1)[0]
    d.client.post(wiz + "/hold", data={"reason": "Seal broken"})
    hold = world.session.scalar(select(Hold).where(Hold.carnet_id == carnet.id))
    mine = d.officer.office
    second = Office(
        customs_id=mine.customs_id,
        region_id=mine.region_id,
        name="Second post",
        country_code=mine.country_code,
    )
    world.session.add(second)
    world.session.commit()
    there = d.start(voucher, office_id=second.id)
    page = _text(d.client.get(there))
    assert "Only an officer of" in page and "Release the hold…" not in page
    assert "Next: check goods" not in page
    r = d.client.post(there.rsplit("/", 1)[0] + "/release", data={"hold_id": str(hold.id)})
    assert r.status_code == 403 and "Only an officer of" in _text(r)
    world.session.expire_all()
    assert world.session.get(Hold, hold.id).released_at is None


# --- F-44, F-45 cancel from the last transactions -------------------------------------------


def test_f45_last_transactions_and_f44_cancel_with_the_holders_code(kit, desk, world):
    carnet, voucher, cc = kit.prepare("export")
    d = desk(cc)
    _, _, step4 = d.steps(d.start(voucher))
    d.commit(step4, {"final_date": carnet.valid_until.isoformat()})
    txn = kit.transactions(voucher)[0]
    page = _text(d.client.get("/transactions/last"))
    assert f'id="txn-{txn.id}"' in page and "Exportation" in page
    # newest first
    ids = [int(x) for x in re.findall(r'id="txn-(\d+)"', page)]
    assert ids == sorted(ids, reverse=True)
    r = d.client.post(
        f"/transactions/{txn.id}/cancel",
        data={
            "cancellation_code": "AAAAAAAAAAAAA",
            "reason": "Typo",
            "office_id": str(d.office_id),
        },
    )
    assert r.status_code == 422 and "not the holder's code" in _text(r)
    r = d.client.post(
        f"/transactions/{txn.id}/cancel",
        data={
            "cancellation_code": cancellation_code_of(txn),
            "reason": "",
            "office_id": str(d.office_id),
        },
    )
    assert r.status_code == 422 and "Give the reason for the cancellation." in _text(r)
    r = d.client.post(
        f"/transactions/{txn.id}/cancel",
        data={
            "cancellation_code": cancellation_code_of(txn),
            "reason": "Wrong final date",
            "office_id": str(d.office_id),
        },
    )
    assert r.status_code == 303
    world.session.expire_all()
    assert world.session.get(Transaction, txn.id).state == "cancelled"
    # the voucher can be committed again
    _, _, step4 = d.steps(d.start(voucher))
    assert d.commit(step4, {"final_date": carnet.valid_until.isoformat()}).status_code == 303


# --- permissions -----------------------------------------------------------------------------


def test_r17_another_administration_gets_404_on_holds_and_transactions(kit, desk, world):
    carnet, voucher, cc = kit.prepare("export")  # CH commits
    d = desk(cc)
    _, _, step4 = d.steps(d.start(voucher))
    d.commit(step4, {"final_date": carnet.valid_until.isoformat()})
    txn = kit.transactions(voucher)[0]
    carnet2, voucher2, _ = kit.prepare("export")
    d.client.post(d.start(voucher2).rsplit("/", 1)[0] + "/hold", data={"reason": "Check"})
    hold = world.session.scalar(select(Hold).where(Hold.carnet_id == carnet2.id))
    fr = desk("fr")
    assert fr.client.get(f"/transactions/{txn.id}/receipt").status_code == 404
    assert fr.client.get(f"/transactions/{txn.id}/receipt.pdf").status_code == 404
    assert (
        fr.client.post(
            f"/transactions/{txn.id}/cancel",
            data={"cancellation_code": cancellation_code_of(txn), "reason": "x"},
        ).status_code
        == 404
    )
    assert fr.client.post(f"/holds/{hold.id}/release").status_code == 404
    assert "Check" not in _text(fr.client.get("/holds"))
    # a voucher is looked up globally, but from the officer's own office
    carnet3, voucher3, _ = kit.prepare("validation")
    assert fr.lookup(carnet3.eata_id, code_of(voucher3)).status_code == 303


def test_f13_a_role_without_process_carnet_cannot_open_the_desk(login_as):
    client = login_as("be", "admin")
    r = client.get("/transactions/new")
    assert r.status_code in (302, 403) or b"Scan" in r.data


# --- F-43 the printable receipt --------------------------------------------------------------


def _pdf_text(pdf: bytes) -> bytes:
    out = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            out.append(zlib.decompress(m.group(1)))
        except zlib.error:
            pass
    return b"\n".join(out)


def test_f43_receipt_pdf_has_the_verification_code(kit, desk):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    _, _, step4 = d.steps(d.start(voucher))
    r = d.commit(step4, {"goods_examined": "no"})
    txn = kit.transactions(voucher)[0]
    pdf = d.client.get(r.headers["Location"] + ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert verification_code_of(txn).encode() in _pdf_text(pdf.data)


def test_f43_pdf_fetcher_serves_only_the_apps_static_files(app, tmp_path):
    import pytest

    from portal.domain.receipts import STATIC_BASE, static_url_fetcher

    fetch = static_url_fetcher(app.static_folder)
    assert fetch(STATIC_BASE + "css/customs.css")["string"].startswith(b"/*")
    for url in (
        "file:///etc/passwd",
        "http://169.254.169.254/latest",
        STATIC_BASE + "../config.py",
        STATIC_BASE + "css/../../config.py",
        "https://example.com/static/css/customs.css",
    ):
        with pytest.raises(ValueError):
            fetch(url)
