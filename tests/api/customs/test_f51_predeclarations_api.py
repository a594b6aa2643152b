"""F-51 on the customs integration API, F-50 on the NICS API: list, read, acknowledge, reject
and commit pre-declarations (OAuth client credentials, Idempotency-Key, problem+json) of the
client's administration only; the NGA sees them on the carnet."""

from __future__ import annotations

from sqlalchemy import select

from portal.domain import api_clients
from portal.domain import predeclarations as pd
from portal.models import Predeclaration, Transaction
from tests.api.conftest import ApiClient, get_token
from tests.support.predeclarations import form, ready_import


def _send(world, v, **kw) -> Predeclaration:
    p = pd.send(world.session, world.holder, v.id, form(world.officer("fr").office, **kw))
    world.session.commit()
    return p


def test_f51_api_lists_and_reads_own_administrations_only(customs_client, world):
    carnet, _, v = ready_import(world)
    p = _send(world, v)
    api, _ = customs_client("fr")
    r = api.get("/v1/customs/predeclarations?status=pending")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["total"] == 1 and body["items"][0]["predeclaration_id"] == p.id
    item = body["items"][0]
    assert item["carnet_number"] == carnet.carnet_number and item["type"] == "pre-declaration"
    assert item["representative"]["eori"] == "FR123" and item["goods"]
    assert api.get(f"/v1/customs/predeclarations/{p.id}").get_json()["state"] == "pending"
    assert api.get("/v1/customs/predeclarations?status=committed").get_json()["total"] == 0
    # another administration: not in its list, 404 problem on the id
    other, _ = customs_client("be")
    assert other.get("/v1/customs/predeclarations").get_json()["total"] == 0
    r = other.get(f"/v1/customs/predeclarations/{p.id}")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    r = other.post(f"/v1/customs/predeclarations/{p.id}/acknowledge", json={})
    assert r.status_code == 404


def test_f51_api_bad_filters_are_422_problems(customs_client, world):
    api, _ = customs_client("fr")
    r = api.get("/v1/customs/predeclarations?date=tomorrow&status=maybe&office_id=x")
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    fields = {e["field"] for e in r.get_json()["errors"]}
    assert fields == {"date", "status", "office_id"}


def test_f51_api_acknowledge_then_reject_needs_reason_and_conflicts(customs_client, world):
    _, _, v = ready_import(world)
    p = _send(world, v)
    api, _ = customs_client("fr")
    r = api.post(
        f"/v1/customs/predeclarations/{p.id}/acknowledge",
        json={"officer": "M. Martin"},
        headers={"Idempotency-Key": "ack-1"},
    )
    assert r.status_code == 200 and r.get_json()["state"] == "acknowledged"
    assert "M. Martin" in r.get_json()["acted_by"]
    again = api.post(
        f"/v1/customs/predeclarations/{p.id}/acknowledge",
        json={"officer": "M. Martin"},
        headers={"Idempotency-Key": "ack-1"},
    )
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    r = api.post(f"/v1/customs/predeclarations/{p.id}/acknowledge", json={})
    assert r.status_code == 409 and "already acknowledged" in r.get_json()["detail"]
    r = api.post(f"/v1/customs/predeclarations/{p.id}/reject", json={})
    assert r.status_code == 422
    r = api.post(f"/v1/customs/predeclarations/{p.id}/reject", json={"reason": "Inspection"})
    assert r.status_code == 200 and r.get_json()["reason"] == "Inspection"


def test_f51_api_commit_through_the_engine_with_idempotency(customs_client, world):
    _, _, v = ready_import(world)
    p = _send(world, v)
    api, _ = customs_client("fr")
    req = {"officer": "M. Martin", "fields": {"reference": "AWB 123-456"}}
    r1 = api.post(
        f"/v1/customs/predeclarations/{p.id}/commit", json=req, headers={"Idempotency-Key": "c-1"}
    )
    assert r1.status_code == 201, r1.get_json()
    r2 = api.post(
        f"/v1/customs/predeclarations/{p.id}/commit", json=req, headers={"Idempotency-Key": "c-1"}
    )
    assert r2.get_json()["transaction_id"] == r1.get_json()["transaction_id"]
    world.session.expire_all()
    assert world.session.get(Predeclaration, p.id).state == "committed"
    txns = list(world.session.scalars(select(Transaction).where(Transaction.voucher_id == v.id)))
    assert len(txns) == 1 and txns[0].reference == "AWB 123-456"
    r = api.get(r1.get_json()["receipt"].replace("http://api.eata.test", ""))
    assert r.status_code == 200


def test_f51_api_voucher_commit_with_the_code_closes_the_open_predeclaration(customs_client, world):
    """/v1/customs/vouchers/commit (carnet + code, not the pre-declaration): the voucher's open
    pre-declaration is marked committed in the same transaction."""
    from portal.domain.vouchers import code_of

    carnet, _, v = ready_import(world)
    p = _send(world, v)
    api, office = customs_client("fr")
    body = {"carnet": str(carnet.eata_id), "code": code_of(v), "office_id": office.id}
    r = api.post("/v1/customs/vouchers/commit", json=body, headers={"Idempotency-Key": "v-1"})
    assert r.status_code == 201, r.get_json()
    world.session.expire_all()
    closed = world.session.get(Predeclaration, p.id)
    assert closed.state == "committed" and closed.transaction_id == r.get_json()["transaction_id"]


def test_f51_api_commit_refused_by_a_rule_is_a_problem(customs_client, world):
    _, _, v = ready_import(world, exported=False)
    p = _send(world, v)
    api, _ = customs_client("fr")
    r = api.post(f"/v1/customs/predeclarations/{p.id}/commit", json={})
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
    assert "not been validated" in r.get_json()["detail"]
    world.session.expire_all()
    assert world.session.get(Predeclaration, p.id).state == "pending"


def test_f50_nics_api_shows_the_predeclarations_on_the_carnet(app, world):
    carnet, _, v = ready_import(world)
    p = _send(world, v)
    client, secret = api_clients.create_client(world.session, "CH NICS", nga=world.nga)
    world.session.commit()
    token = get_token(app, client.client_id, secret).get_json()["access_token"]
    r = ApiClient(app, token).get(f"/v1/carnets/{carnet.eata_id}")
    assert r.status_code == 200, r.get_json()
    (item,) = r.get_json()["predeclarations"]
    assert item["predeclaration_id"] == p.id and item["state"] == "pending"
    assert item["kind"] == "import" and "representative" not in item
