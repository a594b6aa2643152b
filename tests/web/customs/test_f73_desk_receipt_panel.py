"""F-73 / F-40: the commit may change the carnet (a validation, or the automatic validation of
use case 2 activates it), so the receipt (step 5) sends the carnet panel again even though the
page already shows that voucher's panel: its status is the committed one, not "issued". Once
the receipt's panel is on the page it is not sent again."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("cc", ["be"])
def test_f73_the_receipt_refreshes_the_carnet_panel(kit, desk, cc):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    _, _, commit = d.steps(d.start(voucher))
    shown = d.client.get(commit, headers={"HX-Request": "true", "X-Desk-Panel": str(voucher.id)})
    assert 'id="carnet-panel"' not in shown.get_data(as_text=True)  # step 4: kept on the page
    r = d.commit(commit, {"reference": "REF-1", "goods_examined": "yes"}, htmx=True)
    receipt = r.headers.get("HX-Redirect") or r.headers.get("Location")
    assert receipt, re.findall(
        r"field-error[^>]*>[^<]*|role=\"alert\"[^<]*<[^<]*", r.get_data(as_text=True)
    )
    body = d.client.get(
        receipt, headers={"HX-Request": "true", "X-Desk-Panel": str(voucher.id)}
    ).get_data(as_text=True)
    assert '<aside id="carnet-panel"' in body and 'hx-swap-oob="true"' in body
    assert re.search(r'class="status status-active"', body)
    assert f'data-key="{voucher.id}:committed"' in body
    # the receipt's panel on the page: not sent again
    again = d.client.get(
        receipt, headers={"HX-Request": "true", "X-Desk-Panel": f"{voucher.id}:committed"}
    ).get_data(as_text=True)
    assert 'id="carnet-panel"' not in again
