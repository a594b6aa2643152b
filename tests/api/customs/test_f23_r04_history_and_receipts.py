"""F-23 / F-74 / R-04: a carnet's history through both APIs, in one vocabulary of kinds, and
receipts as absolute API URLs."""

from __future__ import annotations

from portal.api.openapi import validator
from portal.domain import api_clients
from portal.domain.vouchers import code_of
from portal.models import TRANSACTION_KINDS
from tests.api.conftest import ApiClient, get_token


def _trip(kit):
    """Validation and exportation in CH, importation in FR (the EU)."""
    carnet = kit.issue(items=2)
    t = kit.travel(carnet, "CH", "FR")
    kit.commit(t, "validation", "ch")
    kit.commit(t, "export", "ch", fields={"final_date": t.created_at.date().isoformat()})
    kit.commit(t, "import", "fr", fields={"final_date": t.created_at.date().isoformat()})
    return carnet, t


def _nics(app, world) -> ApiClient:
    client, secret = api_clients.create_client(world.session, "CH NICS", nga=world.nga)
    world.session.commit()
    return ApiClient(app, get_token(app, client.client_id, secret).get_json()["access_token"])


def test_f23_nics_history_is_the_real_one_paged_and_in_the_schema(app, world, kit):
    carnet, _ = _trip(kit)
    nics = _nics(app, world)
    r = nics.get(f"/v1/carnets/{carnet.eata_id}/transactions")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    validator("TransactionHistory").validate(body)
    assert [i["kind"] for i in body["items"]] == ["validation", "export", "import"]
    assert body["total"] == 3 and {i["country"] for i in body["items"]} == {"CH", "FR"}
    assert all(i["goods"] for i in body["items"])
    assert all(i["state"] == "committed" and i["office"] for i in body["items"])
    first = nics.get(f"/v1/carnets/{carnet.eata_id}/transactions?per_page=2").get_json()
    second = nics.get(f"/v1/carnets/{carnet.eata_id}/transactions?per_page=2&page=2").get_json()
    assert [i["kind"] for i in first["items"] + second["items"]] == [
        "validation",
        "export",
        "import",
    ]
    past = nics.get(f"/v1/carnets/{carnet.eata_id}/transactions?page=9").get_json()
    assert past["items"] == [] and past["total"] == 3
    assert nics.get(f"/v1/carnets/{carnet.eata_id}/transactions?page=0").status_code == 422


def test_r04_customs_history_as_the_territory_may_see_it(customs_client, world, kit):
    carnet, _ = _trip(kit)
    ch, _ = customs_client("ch")
    fr, _ = customs_client("fr")
    seen_by_ch = ch.get(f"/v1/customs/carnets/{carnet.eata_id}/history")
    assert seen_by_ch.status_code == 200, seen_by_ch.get_json()
    validator("CustomsHistory").validate(seen_by_ch.get_json())
    # CH entered first: it sees its own transactions, not what the EU did afterwards
    assert [i["kind"] for i in seen_by_ch.get_json()["items"]] == ["validation", "export"]
    seen_by_fr = fr.get(f"/v1/customs/carnets/{carnet.eata_id}/history").get_json()
    assert [i["kind"] for i in seen_by_fr["items"]] == ["validation", "export", "import"]
    assert ch.get("/v1/customs/carnets/999999999/history").status_code == 404
    assert ch.get("/v1/customs/carnets/2147483648/history").status_code == 404


def test_f49_one_vocabulary_of_kinds_in_both_schemas(client_for):
    doc = client_for("api").get("/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    assert schemas["TransactionKind"]["enum"] == list(TRANSACTION_KINDS)
    for name in (
        "HistoryItem",
        "CustomsCommitted",
        "CustomsRejected",
        "CustomsCancelled",
        "CustomsReceipt",
    ):
        assert schemas[name]["properties"]["kind"] == {
            "$ref": "#/components/schemas/TransactionKind"
        }, name
    assert schemas["CustomsVoucher"]["properties"]["history"]["items"] == {
        "$ref": "#/components/schemas/HistoryItem"
    }
    assert "re_importation" not in str(doc) and "reimportation" not in str(doc)


def test_f49_receipt_link_is_an_absolute_api_url(customs_client, world, kit):
    carnet = kit.issue(items=2)
    t = kit.travel(carnet, "CH", "FR")
    voucher = kit.voucher(t, "validation")
    ch, office = customs_client("ch")
    be, _ = customs_client("be")
    r = ch.post(
        "/v1/customs/vouchers/commit",
        json={
            "carnet": str(carnet.eata_id),
            "code": code_of(voucher),
            "office_id": office.id,
            "fields": {"goods_examined": False},
        },
    )
    assert r.status_code == 201, r.get_json()
    committed = r.get_json()
    link = committed["receipt"]
    assert link == (
        f"http://api.eata.test/v1/customs/transactions/{committed['transaction_id']}/receipt"
    )
    receipt = ch.get(link.removeprefix("http://api.eata.test"))
    assert receipt.status_code == 200, receipt.get_json()
    validator("CustomsReceipt").validate(receipt.get_json())
    assert receipt.get_json()["transaction_id"] == committed["transaction_id"]
    assert receipt.get_json()["kind"] == "validation"
    # another administration's receipt is a 404, like a missing one
    other = be.get(link.removeprefix("http://api.eata.test"))
    assert other.status_code == 404 and other.mimetype == "application/problem+json"
