"""R-04 / F-23 after the archive (issue #20 item 5): the NICS API's carnet history, the
customs API's history and receipt of an archived carnet read the archive; a cancellation
through the customs API is refused as the carnet is closed."""

from __future__ import annotations

from portal.api.openapi import validator
from portal.domain import api_clients
from portal.domain.transactions import cancellation_code_of
from portal.models.archive import TransactionArchive
from tests.api.conftest import ApiClient, get_token
from tests.support.archive import closed_carnet, in_use, run_archive


def _nics(app, world) -> ApiClient:
    client, secret = api_clients.create_client(world.session, "CH NICS", nga=world.nga)
    world.session.commit()
    return ApiClient(app, get_token(app, client.client_id, secret).get_json()["access_token"])


def test_f23_r04_archived_carnet_histories_through_both_apis(app, world, customs_client):
    carnet, ids, _c = closed_carnet(world)
    in_use(world)
    nics = _nics(app, world)
    ch, _ = customs_client("ch")
    fr, _ = customs_client("fr")
    urls = {
        "nics": (nics, f"/v1/carnets/{carnet.eata_id}/transactions"),
        "ch": (ch, f"/v1/customs/carnets/{carnet.eata_id}/history"),
        "fr": (fr, f"/v1/customs/carnets/{carnet.eata_id}/history"),
        "receipt": (fr, f"/v1/customs/transactions/{ids['import']}/receipt"),
    }
    before = {k: c.get(u).get_json() for k, (c, u) in urls.items()}
    assert run_archive(world).carnets == 1
    after = {k: c.get(u).get_json() for k, (c, u) in urls.items()}
    assert after == before
    validator("TransactionHistory").validate(after["nics"])
    assert after["nics"]["total"] == 6  # every counterfoil, the cancelled importation too
    assert [i["kind"] for i in after["ch"]["items"]] == ["validation", "export", "reimport"]
    assert "import" in [i["kind"] for i in after["fr"]["items"]]


def test_f44_customs_api_cancellation_on_an_archived_carnet_is_refused(app, world, customs_client):
    carnet, ids, _c = closed_carnet(world)
    in_use(world)
    run_archive(world)
    ch, office = customs_client("ch")
    txn = world.session.get(TransactionArchive, ids["reimport"])
    r = ch.post(
        f"/v1/customs/transactions/{txn.id}/cancel",
        json={
            "office_id": office.id,
            "cancellation_code": cancellation_code_of(txn),
            "reason": "Late",
        },
        headers={"Idempotency-Key": "archived-1"},
    )
    assert r.status_code == 409, r.get_json()
    assert r.get_json()["code"] == "carnet_archived"
    assert carnet.carnet_number in r.get_json()["detail"]
    world.session.expire_all()
    assert world.session.get(TransactionArchive, ids["reimport"]).state == "committed"
