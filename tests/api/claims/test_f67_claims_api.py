"""F-67 through the NICS API: the NGA lists and reads the claims concerning it, answers with
pointers to recorded transactions, uploads evidence (size-limited); another NGA gets a 404.
F-60: the reconciliation status of a carnet."""

from __future__ import annotations

from sqlalchemy import select

from portal.domain import api_clients
from portal.domain import claims as claim_domain
from portal.models import Account, Country, CustomsAdministration, Transaction
from tests.api.conftest import ApiClient, get_token
from tests.support.monitoring import to_check_carnet


def _api(app, world, nga=None):
    client, secret = api_clients.create_client(world.session, "NICS", nga=nga or world.nga)
    world.session.commit()
    r = get_token(app, client.client_id, secret)
    assert r.status_code == 200
    return ApiClient(app, r.get_json()["access_token"])


def _claim(world):
    carnet = to_check_carnet(world)
    s = world.session
    admin = s.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "fr"))
    account = s.scalar(
        select(Account).where(Account.customs_id == admin.id, Account.role == "controller")
    )
    claim = claim_domain.open_claim(
        s,
        customs_id=admin.id,
        territory_id=s.get(Country, "FR").territory_id,
        account=account,
        carnet=carnet,
        reason="Not re-exported",
        import_duties="200",
        limits=claim_domain.Limits(),
    )
    s.commit()
    return carnet, claim


def test_f60_api_reconciliation_status_lists_unbalanced_items(app, world):
    carnet, _ = _claim(world)
    api = _api(app, world)
    body = api.get(f"/v1/carnets/{carnet.eata_id}/reconciliation").get_json()
    assert body["status"] == "To check"
    assert {(u["territory"], u["obligation"]) for u in body["unbalanced"]} == {
        ("EU", "reexport"),
        ("CH", "reimport"),
    }


def test_f67_nga_lists_reads_and_answers_its_claims(app, world):
    carnet, claim = _claim(world)
    api = _api(app, world)
    listing = api.get("/v1/claims").get_json()
    assert listing["total"] == 1 and listing["items"][0]["liability_cap"] == "220.00"
    detail = api.get(f"/v1/claims/{claim.id}").get_json()
    assert detail["customs"] == "FR" and len(detail["transactions"]) == 3
    import_id = next(t["id"] for t in detail["transactions"] if t["kind"] == "import")
    r = api.post(
        f"/v1/claims/{claim.id}/answer",
        json={"text": "See the importation", "transaction_ids": [import_id]},
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "answered"
    assert r.get_json()["events"][-1]["transaction_ids"] == [import_id]
    other = (
        world.session.scalar(select(Transaction.id).where(Transaction.carnet_id != carnet.id))
        or 2_000_000
    )
    bad = api.post(f"/v1/claims/{claim.id}/answer", json={"text": "x", "transaction_ids": [other]})
    assert bad.status_code == 422


def test_f67_evidence_upload_is_typed_and_size_limited(app, world):
    _, claim = _claim(world)
    api = _api(app, world)
    app.config["CLAIM_EVIDENCE_MAX_BYTES"] = 1000
    try:
        url = f"/v1/claims/{claim.id}/evidence?kind=certificate_of_location&filename=cert.pdf"
        ok = api.client.post(
            url,
            base_url=api.base_url,
            data=b"%PDF-1.4 certificate",
            headers=api.headers({"Content-Type": "application/pdf"}),
        )
        assert ok.status_code == 201, ok.get_json()
        assert ok.get_json()["evidence"][0]["kind"] == "certificate_of_location"
        big = api.client.post(
            url,
            base_url=api.base_url,
            data=b"%PDF" + b"x" * 2000,
            headers=api.headers({"Content-Type": "application/pdf"}),
        )
        assert big.status_code == 413
        exe = api.client.post(
            url,
            base_url=api.base_url,
            data=b"MZ",
            headers=api.headers({"Content-Type": "application/octet-stream"}),
        )
        assert exe.status_code == 415
    finally:
        app.config.pop("CLAIM_EVIDENCE_MAX_BYTES")


def test_f67_another_nga_gets_404(app, world):
    _, claim = _claim(world)
    other = api_clients.create_nga(world.session, "BE", "Other NGA")
    api = _api(app, world, other)
    assert api.get(f"/v1/claims/{claim.id}").status_code == 404
    assert api.post(f"/v1/claims/{claim.id}/answer", json={"text": "x"}).status_code == 404
    assert api.get("/v1/claims").get_json()["total"] == 0
