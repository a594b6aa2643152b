"""F-37, F-72 at the customs desk (step 2): a carnet departing from a paper country — the
officer of a digital country records the paper exportation, sees the holder's paper cover page
and downloads it as an attachment; a refused recording says why and stores nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import cover_pages
from portal.models import Country, CoverPage, PaperTransaction

pytestmark = pytest.mark.usefixtures("ata_statuses")


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), "green").save(buf, "PNG")
    return buf.getvalue()


def test_f72_f37_paper_transactions_and_cover_page_at_the_desk(app, kit, desk, world):
    s = world.session
    for c in s.scalars(select(Country).where(Country.code == "CH")):
        c.ata_status, c.digital_from = "paper", None
    s.commit()
    carnet = kit.issue(items=2, countries=("BE", "FR"))
    row = cover_pages.attach(
        s, carnet, "cover.png", _png(), app.config["STORAGE_DIR"], by_kind="holder", by="anne"
    )
    s.commit()
    t = kit.travel(carnet, "CH", "FR")
    d = desk("fr")
    step2 = d.start(kit.voucher(t, "import"))
    body = d.client.get(step2).get_data(as_text=True)
    assert 'id="record-paper"' in body and "cover.png" in body
    # the cover page: a download, never rendered in the portal's origin
    r = d.client.get(f"/carnets/{carnet.eata_id}/cover-pages/{row.id}")
    assert r.status_code == 200 and r.data.startswith(b"\x89PNG")
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert d.client.get(f"/carnets/{carnet.eata_id}/cover-pages/{row.id + 999}").status_code == 404
    # record the paper exportation made in Switzerland
    w = step2.rsplit("/", 1)[0]
    today = now_utc().date().isoformat()
    form = {
        "kind": "export",
        "country_code": "CH",
        "office_name": "Basel Weil",
        "made_on": today,
        "counterfoil_no": "EX-0001",
    }
    r = d.client.post(f"{w}/paper", data=form)
    assert r.status_code == 303
    body = d.client.get(step2).get_data(as_text=True)
    assert "EX-0001" in body and "Basel Weil" in body
    # refused: an importation into France (digital) on paper; nothing stored
    r = d.client.post(f"{w}/paper", data={**form, "kind": "import", "country_code": "FR"})
    assert r.status_code == 303
    assert "made with the digital carnet" in d.client.get(step2).get_data(as_text=True)
    kinds = s.scalars(
        select(PaperTransaction.kind).where(PaperTransaction.carnet_id == carnet.id)
    ).all()
    assert kinds == ["export"]
    assert s.scalar(select(CoverPage.id).where(CoverPage.carnet_id == carnet.id)) == row.id
