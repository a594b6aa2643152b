"""F-70, F-71, F-73, F-74 through the public APIs: use cases 2 and 4 end to end — the chamber
asks the advice and issues (NICS API), the holder travels (wallet domain), customs commit
(customs API), the chamber records the paper transactions and discharges (NICS API)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import api_clients, travels
from portal.domain.vouchers import code_of
from portal.models import Carnet, Country
from tests.api.conftest import ApiClient, get_token
from tests.support.factory import HOLDER_NAME, carnet_body, voucher

pytestmark = pytest.mark.usefixtures("ata_statuses")
TODAY = now_utc().date()


@pytest.fixture
def nics(app, world):
    client, secret = api_clients.create_client(world.session, "Swiss NICS", nga=world.nga)
    world.session.commit()
    r = get_token(app, client.client_id, secret)
    assert r.status_code == 200
    return ApiClient(app, r.get_json()["access_token"])


def _paper(world, code):
    for c in world.session.scalars(
        select(Country).where(Country.territory_id == world.session.get(Country, code).territory_id)
    ):
        c.ata_status, c.digital_from = "paper", None
    world.session.commit()


def _issue(world, nics, fmt="paper_clone"):
    number = f"CH{TODAY:%Y}{now_utc():%H%M%S%f}"[:16]
    body = carnet_body(
        items=2,
        countries=["FR", "BE", "TR"],
        departure_country="CH",
        carnet_number=number,
        currency="CHF",
        format=fmt,
        paper_carnet_number=number,
    )
    r = nics.post("/v1/carnets", json=body, headers={"Idempotency-Key": number})
    assert r.status_code == 201, r.get_json()
    carnet = world.session.scalar(select(Carnet).where(Carnet.eata_id == r.get_json()["eata_id"]))
    travels.add_to_wallet(world.session, world.holder, carnet)
    travels.accept_general_list(world.session, world.holder, carnet, HOLDER_NAME)
    world.session.commit()
    return carnet


def _travel(world, carnet, dep, dest):
    t = travels.prepare_travel(
        world.session,
        world.holder,
        carnet,
        travels.TravelInput(
            departure_country=dep,
            destination_country=dest,
            transport_mode="land",
            items={i.item_no: i.pieces for i in carnet.items},
            signed_name=HOLDER_NAME,
        ),
    )
    world.session.commit()
    return t


def _commit(customs_client, carnet, v, cc, fields=None):
    api, office = customs_client(cc)
    r = api.post(
        "/v1/customs/vouchers/commit",
        json={
            "carnet": str(carnet.eata_id),
            "code": code_of(v),
            "office_id": office.id,
            "fields": fields or {},
        },
        headers={"Idempotency-Key": f"{v.id}-{cc}"},
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _paper_record(nics, carnet, kind, country, number, status=201):
    r = nics.post(
        f"/v1/carnets/{carnet.eata_id}/paper-transactions",
        json={
            "kind": kind,
            "country": country,
            "office": f"{country} office",
            "made_on": TODAY.isoformat(),
            "counterfoil_no": number,
        },
        headers={"Idempotency-Key": f"p-{carnet.eata_id}-{number}"},
    )
    assert r.status_code == status, r.get_json()
    return r.get_json()


def test_f73_use_case_2_end_to_end_through_the_apis(world, nics, customs_client):
    _paper(world, "CH")
    r = nics.get("/v1/ata-statuses")
    by_code = {row["country"]: row for row in r.get_json()["items"]}
    assert (by_code["CH"]["status"], by_code["FR"]["status"]) == ("paper", "digital")
    r = nics.post(
        "/v1/itinerary-advice",
        json={"departure_country": "CH", "visits": [{"country": "FR", "role": "destination"}]},
    )
    assert r.status_code == 200, r.get_json()
    advice = r.get_json()
    assert (advice["use_case"], advice["format"]) == (2, "paper_clone")
    assert [leg["carnet"] for leg in advice["legs"]] == ["paper", "digital"]

    carnet = _issue(world, nics)
    out = _travel(world, carnet, "CH", "FR")
    assert [v.kind for v in out.vouchers] == ["import"]
    _commit(customs_client, carnet, voucher(world, out, "import"), "fr")
    world.session.refresh(carnet)
    assert carnet.status == "active"  # validated automatically (F-73)
    back = _travel(world, carnet, "FR", "CH")
    _commit(customs_client, carnet, voucher(world, back, "reexport"), "be")

    _paper_record(nics, carnet, "export", "CH", "E-1")
    refused = _paper_record(nics, carnet, "reimport", "FR", "R-0", status=422)
    assert refused["errors"][0]["field"] == "country"  # the body's name
    view = _paper_record(nics, carnet, "reimport", "CH", "R-1")
    assert [(i["medium"], i["kind"]) for i in view["items"]] == [  # a day: the trip's order
        ("paper", "export"),
        ("digital", "import"),
        ("digital", "reexport"),
        ("paper", "reimport"),
    ]
    r = nics.get(f"/v1/carnets/{carnet.eata_id}/discharge-view")
    assert r.status_code == 200 and r.get_json()["open_vouchers"] == 0
    r = nics.post(
        f"/v1/carnets/{carnet.eata_id}/discharge",
        json={"reason": "returned"},
        headers={"Idempotency-Key": f"d-{carnet.eata_id}"},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "discharged"


def test_f73_use_case_4_end_to_end_through_the_apis(world, nics, customs_client):
    r = nics.post(
        "/v1/itinerary-advice",
        json={"departure_country": "CH", "visits": [{"country": "TR"}]},
    )
    assert r.get_json()["use_case"] == 4
    carnet = _issue(world, nics)
    out = _travel(world, carnet, "CH", "TR")
    assert [v.kind for v in out.vouchers] == ["validation", "export"]
    _commit(
        customs_client, carnet, voucher(world, out, "validation"), "ch", {"goods_examined": True}
    )
    _commit(customs_client, carnet, voucher(world, out, "export"), "ch")
    # the green cover stamped in Switzerland, the importation in Türkiye, on paper
    _paper_record(nics, carnet, "validation", "CH", "V-1")
    _paper_record(nics, carnet, "import", "TR", "I-1")
    # a paper exportation from digital Switzerland is refused
    r = _paper_record(nics, carnet, "export", "CH", "E-9", status=409)
    assert r["code"] == "paper_not_accepted"
    back = _travel(world, carnet, "TR", "CH")
    assert [v.kind for v in back.vouchers] == ["reimport"]
    _commit(customs_client, carnet, voucher(world, back, "reimport"), "ch")
    items = nics.get(f"/v1/carnets/{carnet.eata_id}/discharge-view").get_json()["items"]
    assert {i["medium"] for i in items} == {"digital", "paper"} and len(items) == 5


def test_f71_f70_api_bad_input(world, nics):
    r = nics.post("/v1/itinerary-advice", json={"departure_country": "CH", "visits": []})
    assert r.status_code == 422
    r = nics.post(
        "/v1/itinerary-advice",
        json={"departure_country": "AQ", "visits": [{"country": "FR"}]},
    )
    assert (
        r.status_code == 422
        and "does not accept ATA carnets" in r.get_json()["errors"][0]["message"]
    )
    r = nics.post(
        "/v1/itinerary-advice",
        json={
            "departure_country": "CH",
            "departure_date": "2027-01-10",
            "visits": [{"country": "FR", "date": "2027-01-01"}],
        },
    )
    assert r.status_code == 422
    assert nics.get("/v1/ata-statuses?on=yesterday").status_code == 422
    assert nics.get("/v1/ata-statuses/AQ").status_code == 404
    r = nics.get("/v1/ata-statuses/CH")
    assert r.status_code == 200 and r.get_json()["status"] == "digital"
    later = (TODAY + dt.timedelta(days=1)).isoformat()
    assert nics.get(f"/v1/ata-statuses?on={later}").status_code == 200


def test_f37_chamber_attaches_the_cover_page_through_the_api(app, world, nics):
    import io
    import os

    from PIL import Image

    from portal.models import CoverPage

    _paper(world, "CH")
    carnet = _issue(world, nics)
    buf = io.BytesIO()
    Image.new("RGB", (30, 30), "white").save(buf, "JPEG")
    url = f"/v1/carnets/{carnet.eata_id}/cover-pages?filename=cover.jpg"
    for data, mimetype, status in (
        (b"%PDF-1.4\n<< /AA << /O << /S /Launch >> >> >>", "application/pdf", 422),
        (b"GIF89a....", "image/png", 415),
        (b"", "image/png", 422),
    ):
        r = nics.post(url, data=data, headers={"Content-Type": mimetype})
        assert r.status_code == status, r.get_json()
        assert r.mimetype == "application/problem+json"
    assert world.session.scalar(select(CoverPage.id)) is None
    r = nics.post(url, data=buf.getvalue(), headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.get_json()
    item = r.get_json()["items"][0]
    assert (item["filename"], item["uploaded_by"]) == ("cover.jpg", "api_client")
    got = nics.get(f"/v1/carnets/{carnet.eata_id}/cover-pages/{item['id']}")
    assert got.status_code == 200 and got.data == buf.getvalue()
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    row = world.session.get(CoverPage, item["id"])
    assert os.path.exists(os.path.join(app.config["STORAGE_DIR"], row.path))
    assert "static" not in row.path


def _customs_paper(api, office, carnet, v, status=201, **fields):
    body = {
        "carnet": str(carnet.eata_id),
        "code": code_of(v),
        "office_id": office.id,
        "officer": "A. Agent",
        "kind": "export",
        "country": "CH",
        "office": "Basel customs",
        "made_on": TODAY.isoformat(),
        "counterfoil_no": "E-7",
        **fields,
    }
    r = api.post(
        "/v1/customs/paper-transactions",
        json=body,
        headers={"Idempotency-Key": "cp-" + uuid.uuid4().hex},
    )
    assert r.status_code == status, r.get_json()
    return r.get_json()


def test_f72_customs_api_records_a_paper_transaction(world, nics, customs_client):
    """A digital office records, through the customs API, the exportation stamped on the paper
    carnet in paper Switzerland; it shows at discharge beside the digital importation."""
    _paper(world, "CH")
    carnet = _issue(world, nics)
    out = _travel(world, carnet, "CH", "FR")
    v = voucher(world, out, "import")
    api, office = customs_client("fr")
    done = _customs_paper(api, office, carnet, v)
    assert (done["kind"], done["country"], done["counterfoil_no"]) == ("export", "CH", "E-7")
    _commit(customs_client, carnet, v, "fr")
    items = nics.get(f"/v1/carnets/{carnet.eata_id}/discharge-view").get_json()["items"]
    assert [(i["medium"], i["kind"]) for i in items] == [("paper", "export"), ("digital", "import")]


def test_f72_customs_api_paper_transaction_refusals_change_nothing(world, nics, customs_client):
    _paper(world, "CH")
    carnet = _issue(world, nics)
    v = voucher(world, _travel(world, carnet, "CH", "FR"), "import")
    api, office = customs_client("fr")
    # an exportation is made in the departure country, not abroad
    r = _customs_paper(api, office, carnet, v, status=422, country="FR")
    assert r["errors"][0]["field"] == "country"
    # a date in the future, a country not on the carnet
    r = _customs_paper(api, office, carnet, v, status=422, made_on="2999-01-01")
    assert r["errors"][0]["field"] == "made_on"
    r = _customs_paper(api, office, carnet, v, status=422, kind="import", country="JP")
    assert "Box P" in r["errors"][0]["message"]
    # a wrong transaction code, another administration's office
    r = _customs_paper(api, office, carnet, v, status=422, code="WRONG-CODE")
    assert r["code"] == "lookup_failed"
    _, other_office = customs_client("be")
    r = _customs_paper(api, other_office, carnet, v, status=404)
    assert r["code"] == "office_not_found"
    # a second paper validation
    _customs_paper(api, office, carnet, v, kind="validation", counterfoil_no="V-1")
    r = _customs_paper(api, office, carnet, v, status=409, kind="validation", counterfoil_no="V-2")
    assert "recorded already" in r["detail"]
    items = nics.get(f"/v1/carnets/{carnet.eata_id}/discharge-view").get_json()["items"]
    assert [(i["kind"], i["reference"]) for i in items] == [("validation", "V-1")]
