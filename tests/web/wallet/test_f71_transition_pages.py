"""F-70, F-71, F-73 on the wallet host: the public digital/paper list, the itinerary advice
page, and use case 2 end to end in the wallet (a carnet departing from a paper country: only
the importation is a digital voucher, the travel warns about the paper country, the first
commit abroad validates the carnet)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.domain.transactions import commit_voucher
from portal.models import Carnet, Country, Travel
from tests.web.wallet.test_wallet_travels import NAME, ready  # noqa: F401

pytestmark = pytest.mark.usefixtures("ata_statuses")


def test_f70_public_list_without_login(app, client_for):
    c = client_for("wallet")
    r = c.get("/my/ata-status")
    assert r.status_code == 200
    assert re.search(
        r'data-country="CH"><td>Switzerland</td><td>CH</td>\s*<td>digital</td>', r.text
    )
    assert re.search(r'data-country="US">.*?<td>paper</td>', r.text, re.S)
    r = c.get("/my/ata-status?on=2026-05-31")
    assert re.search(r'data-country="CH">.*?<td>paper</td>', r.text, re.S)
    r = c.get("/my/ata-status?on=31/05/2026")
    assert r.status_code == 422 and "YYYY-MM-DD" in r.text
    # the customs hosts do not serve it
    assert client_for("customs", "be").get("/my/ata-status").status_code == 404


def test_f71_advice_page(app, client_for, demo):
    c = client_for("wallet")
    r = c.get("/my/itinerary-advice?departure=CH&destinations=TR")
    assert r.status_code == 200 and "Use case 4" in r.text
    r = c.get("/my/itinerary-advice?departure=CH&destinations=FR&transits=TR")
    assert "Use case 6" in r.text and "twin carnets" in r.text
    r = c.get("/my/itinerary-advice?departure=CH&destinations=AQ")
    assert r.status_code == 422
    assert re.search(r'id="destinations-error"[^>]*>[^<]*does not accept ATA carnets', r.text)
    r = c.get("/my/itinerary-advice?departure=CH&destinations=FR&date=soon")
    assert r.status_code == 422 and 'id="date-error"' in r.text


def test_f73_use_case_2_in_the_wallet(app, ready, session, world):  # noqa: F811
    c, holder, one = ready
    for country in session.scalars(select(Country).where(Country.code.in_(("CH", "NO")))):
        country.ata_status, country.digital_from = "paper", None
    session.commit()
    r = c.post(
        f"/my/carnets/{one.carnet_id}/travels/new",
        data={
            "departure_country": "CH",
            "destination_country": "FR",
            "transport_mode": "air",
            "qty-1": "2",
            "signed_name": NAME,
            "nickname": "Paris",
        },
    )
    assert r.status_code == 303, r.text
    travel_id = int(re.search(r"/my/travels/(\d+)", r.headers["Location"]).group(1))
    page = c.get(f"/my/travels/{travel_id}")
    assert 'id="paper-warning"' in page.text and "Switzerland" in page.text
    travel = session.get(Travel, travel_id)
    assert [v.kind for v in travel.vouchers] == ["import"]
    commit_voucher(session, travel.vouchers[0].id, world.officer("fr"))
    session.commit()
    assert session.get(Carnet, one.carnet_id).status == "active"
    # a travel wholly in paper countries is refused next to the destination
    r = c.post(
        f"/my/carnets/{one.carnet_id}/travels/new",
        data={
            "departure_country": "CH",
            "destination_country": "NO",
            "transport_mode": "air",
            "qty-1": "1",
            "signed_name": NAME,
        },
    )
    assert r.status_code == 422 and "made with the paper carnet" in r.text


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 20), "green").save(buf, "PNG")
    return buf.getvalue()


def test_f37_holder_attaches_the_paper_cover_page(app, ready, session):  # noqa: F811
    import io
    import os
    import time

    from portal.models import CoverPage

    c, holder, one = ready
    folder = os.path.join(app.config["STORAGE_DIR"], "cover_pages")
    # Switzerland digital: the carnet is validated digitally, no cover page is taken
    r = c.post(
        f"/my/carnets/{one.carnet_id}/cover-pages",
        data={"file": (io.BytesIO(_png()), "cover.png")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "paper departure country" in r.text
    for country in session.scalars(select(Country).where(Country.code == "CH")):
        country.ata_status, country.digital_from = "paper", None
    session.commit()
    before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    hostile = (
        (b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (x) >> >> endobj", "c.pdf"),
        (b"<svg onload=alert(1)>", "cover.png"),
        (b"MZ\x90\x00" * 10, "cover.jpg"),
    )
    for data, name in hostile:
        start = time.monotonic()
        r = c.post(
            f"/my/carnets/{one.carnet_id}/cover-pages",
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert time.monotonic() - start < 2
        assert r.status_code == 422 and 'id="file-error"' in r.text
    assert (set(os.listdir(folder)) if os.path.isdir(folder) else set()) == before
    assert session.scalar(select(CoverPage.id)) is None
    r = c.post(
        f"/my/carnets/{one.carnet_id}/cover-pages",
        data={"file": (io.BytesIO(_png()), "Deckblatt.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    page = c.get(f"/my/carnets/{one.carnet_id}/cover-pages")
    assert "Deckblatt.png" in page.text  # named by its real type
    row = session.scalar(select(CoverPage))
    r = c.get(f"/my/carnets/{one.carnet_id}/cover-pages/{row.id}")
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.data == _png()
    # without the CSRF token: refused
    from tests.conftest import DOMAIN

    raw = app.test_client()
    assert raw.post(
        f"/my/carnets/{one.carnet_id}/cover-pages", base_url=f"http://wallet.{DOMAIN}"
    ).status_code in (302, 400, 401, 403)


def test_f72_wallet_history_shows_the_recorded_paper_transactions(app, ready, session, world):  # noqa: F811
    """The holder's History tab lists what customs or the chamber recorded from the paper
    carnet beside the digital transactions, so the holder sees the whole history."""
    from tests.unit.engine.test_f73_transition_use_cases import record

    c, holder, one = ready
    carnet = session.get(Carnet, one.carnet_id)
    page = c.get(f"/my/carnets/{carnet.id}?tab=history")
    assert page.status_code == 200 and 'id="paper-transactions"' not in page.text
    for country in session.scalars(select(Country).where(Country.code == "CH")):
        country.ata_status, country.digital_from = "paper", None
    session.commit()
    record(world, carnet, "validation", "CH", by="ch", number="V-CH-77")
    page = c.get(f"/my/carnets/{carnet.id}?tab=history")
    table = page.text.split('id="paper-transactions"', 1)[1].split("</table>", 1)[0]
    assert "Validation" in table and "Switzerland" in table and "V-CH-77" in table
    # the other tabs do not read them
    assert 'id="paper-transactions"' not in c.get(f"/my/carnets/{carnet.id}").text
