"""How the desk answers htmx (F-40): the wizard boosts its own region, so a boosted step
request gets the step, a history restore the whole page; every step's form carries its CSRF
field (a plain POST before htmx wires it goes through); a refusal's 422 is swapped by the page's
htmx config, not by the desk's script; ids beyond range are a 404, never a 5xx."""

from __future__ import annotations

import pathlib

import pytest

from portal.domain.vouchers import code_of

ROOT = pathlib.Path(__file__).resolve().parents[3]
BEYOND = ["2147483648", "9223372036854775808", "99999999999999999999999"]


def _step2(kit, desk):
    carnet = kit.issue(items=3)
    voucher = kit.voucher(kit.travel(carnet, "CH", "FR"), "validation")
    d = desk("ch")
    return d, d.start(voucher)


def test_f40_boosted_step_requests_get_the_step_and_a_history_restore_the_page(kit, desk):
    d, step2 = _step2(kit, desk)
    boosted = {"HX-Request": "true", "HX-Boosted": "true"}
    frag = d.client.get(step2, headers=boosted).get_data(as_text=True)
    assert "<html" not in frag and 'id="step"' in frag
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    page = d.client.get(step2, headers=restore).get_data(as_text=True)
    assert "<html" in page and "<html" not in frag


def test_f40_every_step_fragment_form_carries_its_csrf_field(kit, desk):
    d, step2 = _step2(kit, desk)
    _, step3, step4 = d.steps(step2)
    htmx = {"HX-Request": "true", "HX-Boosted": "true"}
    for url in (step3, step4, step2.rsplit("/", 1)[0] + "/actions"):
        body = d.client.get(url, headers=htmx).get_data(as_text=True)
        assert body.count("<form") >= 1, url
        assert body.count('name="csrf_token"') == body.count('method="post"'), url
    step1 = d.client.post("/transactions/new", data={"carnet": "", "code": ""}, headers=htmx)
    assert step1.status_code == 422 and 'name="csrf_token"' in step1.get_data(as_text=True)


def test_f40_refusals_are_swapped_by_the_htmx_config_of_the_page_not_by_scan_js(desk):
    base = (ROOT / "portal" / "templates" / "base.html").read_text()
    assert '"responseHandling"' in base and '{"code": "422", "swap": true, "error": false}' in base
    assert "status === 422" not in (ROOT / "portal" / "static" / "js" / "scan.js").read_text()
    assert "csrf_token" not in (ROOT / "portal" / "static" / "js" / "app.js").read_text()
    page = desk("be").client.get("/transactions/new").get_data(as_text=True)
    assert '{"code": "422", "swap": true, "error": false}' in page


@pytest.mark.parametrize("number", BEYOND)
def test_f40_ids_beyond_range_at_the_desk_are_404_or_a_message(kit, desk, number):
    d = desk("be")
    for url in (
        f"/transactions/{number}/receipt",
        f"/transactions/{number}/qr.svg",
        f"/transactions/{number}/receipt.pdf",
    ):
        assert d.client.get(url).status_code == 404, url
    assert (
        d.client.post(
            f"/transactions/{number}/cancel", data={"cancellation_code": "A", "reason": "x"}
        ).status_code
        == 404
    )
    assert d.client.post(f"/holds/{number}/release").status_code == 404
    assert d.client.get(f"/transactions/recent?office_id={number}").status_code == 200
    assert d.client.get(f"/transactions/last?office_id={number}").status_code == 200
    r = d.lookup(123, "ABC", office_id=number)
    assert r.status_code == 422 and "Choose one of the offices" in r.get_data(as_text=True)
    carnet = kit.issue(items=1)
    voucher = kit.voucher(kit.travel(carnet, "CH", "FR"), "validation")
    r = d.lookup(number, code_of(voucher))
    assert r.status_code == 422
    assert d.lookup("²³", code_of(voucher)).status_code == 422  # digits, but not an eATA ID


def test_f40_the_desks_per_process_caches_are_in_the_registry(app):
    from portal import caches

    assert {"desk_goods", "desk_issuer_names", "receipt_qr_images", "transaction_xsd"} <= set(
        caches.registered()
    )


@pytest.mark.parametrize("number", BEYOND)
def test_f41_numbers_beyond_range_in_step4_and_step3_fields_are_refused_not_a_5xx(
    kit, desk, number
):
    carnet, voucher, cc = kit.prepare("reimport")
    d = desk(cc)
    _, step3, step4 = d.steps(d.start(voucher))
    for data in (
        {f"not_reimported_{number}": "1"},
        {"not_reimported_1": number},
        {f"processed_abroad_{number}": number},
    ):
        r = d.commit(step4, data)
        assert r.status_code == 422, (data, r.status_code)
    assert d.client.get(f"{step3}?q_1={number}").status_code in (200, 422)
    assert d.client.post(step3, data={f"marks_{number}": "x", "action": "next"}).status_code in (
        303,
        422,
    )
    assert kit.transactions(voucher) == []
