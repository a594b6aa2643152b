"""F-49: the customs integration API on api.<domain>/v1/customs/…"""

from sqlalchemy import select

from portal.domain.transactions import cancellation_code_of
from portal.domain.vouchers import code_of, qr_payload
from portal.models import Hold, Transaction
from tests.api.conftest import ApiClient


def _ref(carnet, voucher) -> dict:
    return {"carnet": str(carnet.eata_id), "code": code_of(voucher)}


def _validation(kit):
    carnet = kit.issue(items=2)
    t = kit.travel(carnet, "CH", "FR")
    return carnet, t, kit.voucher(t, "validation")


def test_f49_auth_token_required_and_only_customs_clients(app, customs_client, api_as):
    r = ApiClient(app, None).post("/v1/customs/vouchers/lookup", json={"qr": "x"})
    assert r.status_code == 401 and r.mimetype == "application/problem+json"
    nga = api_as("be")  # an NGA's client is not a customs system
    r = nga.get("/v1/customs/holds")
    assert r.status_code in (401, 403) and r.mimetype == "application/problem+json"
    api, _ = customs_client("ch", scope="customs:read")
    r = api.post("/v1/customs/vouchers/commit", json={"office_id": 1})
    assert r.status_code == 403 and r.get_json()["code"] == "insufficient_scope"


def test_f49_lookup_and_commit_with_idempotent_replay(customs_client, kit, world):
    carnet, t, voucher = _validation(kit)
    api, office = customs_client("ch")
    r = api.post(
        "/v1/customs/vouchers/lookup", json={"qr": qr_payload(carnet.eata_id, code_of(voucher))}
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["kind"] == "validation" and body["carnet"]["holder"] == "Studio Lumière SPRL"
    assert [g["item_no"] for g in body["goods"]] == [1, 2]
    req = {
        **_ref(carnet, voucher),
        "office_id": office.id,
        "officer": "J. Dupont",
        "fields": {"goods_examined": True, "reference": "API-1"},
    }
    r1 = api.post("/v1/customs/vouchers/commit", json=req, headers={"Idempotency-Key": "k-1"})
    assert r1.status_code == 201, r1.get_json()
    r2 = api.post("/v1/customs/vouchers/commit", json=req, headers={"Idempotency-Key": "k-1"})
    assert r2.status_code == 201 and r2.headers["Idempotent-Replayed"] == "true"
    assert r2.get_json() == r1.get_json()
    txns = world.session.scalars(
        select(Transaction).where(Transaction.voucher_id == voucher.id)
    ).all()
    assert len(txns) == 1 and "J. Dupont" in txns[0].officer_name
    # a second commit with another key is refused in plain words
    r3 = api.post("/v1/customs/vouchers/commit", json=req, headers={"Idempotency-Key": "k-2"})
    assert r3.status_code == 409 and r3.get_json()["code"] == "already_committed"


def test_f49_refusals_are_problem_documents(customs_client, kit):
    carnet, t, voucher = _validation(kit)
    api, office = customs_client("ch")
    r = api.post(
        "/v1/customs/vouchers/commit", json={**_ref(carnet, voucher), "office_id": office.id}
    )
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "goods_examined"
    r = api.post(
        "/v1/customs/vouchers/lookup", json={"carnet": str(carnet.eata_id), "code": "AAAAAAAAAAAAA"}
    )
    assert r.status_code in (400, 422) and r.get_json()["code"] == "lookup_failed"
    r = api.post("/v1/customs/vouchers/commit", json={"office_id": office.id, "bogus": 1})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"


def test_f49_reject_hold_release(customs_client, kit, world):
    carnet, t, voucher = _validation(kit)
    api, office = customs_client("ch")
    r = api.post(
        "/v1/customs/vouchers/reject",
        json={**_ref(carnet, voucher), "office_id": office.id, "reason": "No goods"},
    )
    assert r.status_code == 201, r.get_json()
    r = api.post(
        "/v1/customs/vouchers/hold",
        json={
            **_ref(carnet, voucher),
            "office_id": office.id,
            "reason": "Check",
            "reference": "CASE-9",
        },
    )
    assert r.status_code == 201 and r.get_json()["reference"] == "CASE-9"
    hold_id = r.get_json()["hold_id"]
    holds = api.get("/v1/customs/holds").get_json()["holds"]
    assert [(h["hold_id"], h["reference"]) for h in holds] == [(hold_id, "CASE-9")]
    r = api.post(
        "/v1/customs/vouchers/commit",
        json={**_ref(carnet, voucher), "office_id": office.id, "fields": {"goods_examined": False}},
    )
    assert r.status_code in (403, 409, 422) and "hold" in r.get_json()["detail"].lower()
    r = api.post(f"/v1/customs/holds/{hold_id}/release", json={"office_id": office.id})
    assert r.status_code == 200 and r.get_json()["released_at"]
    r = api.post(f"/v1/customs/holds/{hold_id}/release", json={"office_id": office.id})
    assert r.status_code == 409


def test_f49_cancel_with_the_holders_code(customs_client, kit, world):
    carnet, t, voucher = _validation(kit)
    api, office = customs_client("ch")
    r = api.post(
        "/v1/customs/vouchers/commit",
        json={**_ref(carnet, voucher), "office_id": office.id, "fields": {"goods_examined": False}},
    )
    txn = world.session.get(Transaction, r.get_json()["transaction_id"])
    r = api.post(
        f"/v1/customs/transactions/{txn.id}/cancel",
        json={"office_id": office.id, "cancellation_code": "AAAAAAAAAAAAA", "reason": "x"},
    )
    assert r.status_code == 422 and r.get_json()["code"] == "wrong_code"
    r = api.post(
        f"/v1/customs/transactions/{txn.id}/cancel",
        json={
            "office_id": office.id,
            "cancellation_code": cancellation_code_of(txn),
            "reason": "Wrong office",
        },
        headers={"Idempotency-Key": "c-1"},
    )
    assert r.status_code == 200 and r.get_json()["state"] == "cancelled"


def test_f49_tenant_isolation(customs_client, kit, world):
    carnet, t, voucher = _validation(kit)
    ch, ch_office = customs_client("ch")
    be, be_office = customs_client("be")
    # another administration's office cannot be used
    r = be.post(
        "/v1/customs/vouchers/hold",
        json={**_ref(carnet, voucher), "office_id": ch_office.id, "reason": "x"},
    )
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    r = ch.post(
        "/v1/customs/vouchers/hold",
        json={**_ref(carnet, voucher), "office_id": ch_office.id, "reason": "Check"},
    )
    hold_id = r.get_json()["hold_id"]
    r = be.post(f"/v1/customs/holds/{hold_id}/release", json={"office_id": be_office.id})
    assert r.status_code == 404
    assert be.get("/v1/customs/holds").get_json()["holds"] == []
    world.session.expire_all()
    assert world.session.get(Hold, hold_id).released_at is None
    ch.post(f"/v1/customs/holds/{hold_id}/release", json={"office_id": ch_office.id})
    r = ch.post(
        "/v1/customs/vouchers/commit",
        json={
            **_ref(carnet, voucher),
            "office_id": ch_office.id,
            "fields": {"goods_examined": False},
        },
    )
    txn_id = r.get_json()["transaction_id"]
    r = be.post(
        f"/v1/customs/transactions/{txn_id}/cancel",
        json={"office_id": be_office.id, "cancellation_code": "AAAAAAAAAAAAA", "reason": "x"},
    )
    assert r.status_code == 404


def test_f49_documented_in_the_served_openapi(client_for):
    doc = client_for("api").get("/v1/openapi.json").get_json()
    for path in (
        "/customs/vouchers/lookup",
        "/customs/vouchers/commit",
        "/customs/vouchers/reject",
        "/customs/vouchers/hold",
        "/customs/holds",
        "/customs/holds/{hold_id}/release",
        "/customs/transactions/{transaction_id}/cancel",
    ):
        assert path in doc["paths"]
    assert "CustomsCommitRequest" in doc["components"]["schemas"]


def test_f49_cli_creates_a_customs_client_that_can_get_a_token(app, world):
    from tests.api.conftest import get_token

    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["api-client", "create-customs", "--customs", "be", "--name", "BE bridge"]
    )
    assert result.exit_code == 0, result.output
    client_id = result.output.split("client_id:")[1].split()[0]
    secret = result.output.split("client_secret:")[1].split()[0]
    assert client_id.startswith("customs_")
    r = get_token(app, client_id, secret)
    assert r.status_code == 200 and "customs:write" in r.get_json()["scope"]
    bad = runner.invoke(args=["api-client", "create-customs", "--customs", "zz", "--name", "x"])
    assert bad.exit_code != 0 and "No customs administration" in bad.output
