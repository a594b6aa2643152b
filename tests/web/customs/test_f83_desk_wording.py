"""F-83 wording of the desk (issue #14): the bar names the officer once ("Signed in as …"), the
carnet panel's Holder card does not repeat "Holder", the type and format are words, not codes;
the receipt's transaction is a capitalised label; recorded paper rows use the kinds' labels."""

from __future__ import annotations

import re

import pytest

from portal.db import now_utc
from tests.unit.engine.test_f73_transition_use_cases import make_paper, record


@pytest.mark.usefixtures("ata_statuses")  # given back as loaded (make_paper below)
def test_f83_desk_wording(kit, desk, world):
    carnet, voucher, cc = kit.prepare("validation")
    d = desk(cc)
    step2, _, commit = d.steps(d.start(voucher))
    page = d.client.get(step2).get_data(as_text=True)
    assert re.search(r'Signed in as <strong id="officer">', page)
    assert not re.search(r"Officer <strong", page)
    start = page.index('id="carnet-panel"')
    panel = page[start : page.index("</aside>", start)]
    assert panel.count(">Holder<") == 1 and "<dt>Name and address</dt>" in panel
    assert re.search(r"<dt>Type</dt><dd>ATA carnet \(digital\)</dd>", panel), panel
    r = d.commit(commit, {"reference": "REF-1", "goods_examined": "yes"})
    receipt = d.client.get(r.headers["Location"]).get_data(as_text=True)
    assert "<dt>Transaction</dt><dd>Validation" in receipt
    # a recorded paper transaction in step 2's lists: its label, not its code
    make_paper(world, carnet.departure_country)  # a paper re-importation is accepted there
    record(world, carnet, "reimport", carnet.departure_country, by=cc, made_on=now_utc().date())
    lists = d.client.get(step2.rsplit("/", 1)[0] + "/lists", headers={"HX-Request": "true"})
    text = lists.get_data(as_text=True)
    assert "<td>Re-importation</td>" in text and "<td>reimport</td>" not in text
