"""F-24: input validation with RFC 9457 problems listing every failing field, Idempotency-Key,
body limits, and the served OpenAPI document as the contract."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from portal.models import Carnet, IdempotencyRecord
from tests.support.factory import carnet_body


def _fields(r) -> dict[str, str]:
    assert r.status_code == 422, r.get_json()
    assert r.mimetype == "application/problem+json"
    problem = r.get_json()
    assert problem["type"].startswith("https://") and problem["status"] == 422
    return {e["field"]: e["message"] for e in problem["errors"]}


def test_f24_validation_lists_every_bad_field(api):
    body = carnet_body(items=4)
    body["valid_until"] = "2099-01-01"  # more than a year after issue
    body["currency"] = "XYZ"  # not ISO 4217
    body["countries"] = ["FR", "ZZ", "FR"]  # unknown, listed twice
    body["items"][0]["pieces"] = 0  # not positive
    body["items"][1]["value"] = -5  # not positive
    body["items"][2]["item_no"] = 7  # numbered out of order
    body["items"][3]["origin_country"] = "be"  # not an ISO code in capitals
    body["holder"]["colour"] = "blue"  # unknown field
    body["sets"] = {"transit": 100}  # over the ceiling
    body["surprise"] = True  # unknown field
    del body["intended_use"]  # missing
    fields = _fields(api.post("/v1/carnets", json=body))
    assert set(fields) == {
        "valid_until",
        "currency",
        "countries[1]",
        "countries[2]",
        "items[0].pieces",
        "items[1].value",
        "items[2].item_no",
        "items[3].origin_country",
        "holder.colour",
        "sets.transit",
        "surprise",
        "intended_use",
    }
    assert "one year" in fields["valid_until"]
    assert fields["surprise"] == "Unknown field."
    assert fields["intended_use"] == "This field is required."
    assert fields["items[1].value"] == "Must be greater than 0."
    assert "should be 3" in fields["items[2].item_no"]
    with_db = _fields(api.post("/v1/carnets", json=carnet_body(countries=[])))
    assert with_db == {"countries": "Must not be empty."}  # Box P non-empty


def test_f24_meaning_checks(api):
    body = carnet_body()
    body["issue_date"] = "2026-02-30"
    body["items"][0]["value"] = 10.123
    body["items"][1].pop("unit")
    body["countries"] = ["FR", "KP"]  # not an ATA country
    fields = _fields(api.post("/v1/carnets", json=body))
    assert set(fields) == {"issue_date", "items[0].value", "items[1].unit", "countries[1]"}
    assert "2 decimals" in fields["items[0].value"]
    assert "does not accept ATA" in fields["countries[1]"]
    first = api.post("/v1/carnets", json=(ok := carnet_body()))
    assert first.status_code == 201
    dup = carnet_body(carnet_number=ok["carnet_number"])
    assert "already exists" in _fields(api.post("/v1/carnets", json=dup))["carnet_number"]


def test_f24_body_must_be_a_json_object(api):
    assert _fields(api.post("/v1/carnets", json=[1, 2])) == {"body": "Must be an object."}


def test_f24_malformed_json_wrong_type_and_oversize_are_4xx(app, api):
    r = api.post("/v1/carnets", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    r = api.post("/v1/carnets", data='{"value": NaN}', headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = api.post(
        "/v1/carnets",
        data="carnet_number=X",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415 and r.mimetype == "application/problem+json"
    big = json.dumps({"x": "a" * (2 * 1024 * 1024 + 10)})
    r = api.post("/v1/carnets", data=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.mimetype == "application/problem+json"
    deep = "[" * 100_000 + "]" * 100_000
    r = api.post("/v1/carnets", data=deep, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert api.get("/v1/nothing-here").status_code == 404
    r = api.client.delete("/v1/carnets", base_url=api.base_url, headers=api.headers())
    assert r.status_code in (404, 405) and r.mimetype == "application/problem+json"


def test_f24_idempotent_replay_returns_the_first_result(api, session):
    body = carnet_body()
    key = {"Idempotency-Key": "issue-0001"}
    first = api.post("/v1/carnets", json=body, headers=key)
    again = api.post("/v1/carnets", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()  # same eATA ID, same PIN
    assert again.headers["Idempotent-Replayed"] == "true"
    assert session.scalar(select(func.count()).select_from(Carnet)) == 1
    record = session.scalar(select(IdempotencyRecord))
    assert first.get_json()["pin"] not in record.response_enc  # stored encrypted
    eata_id = first.get_json()["eata_id"]
    block = {"Idempotency-Key": "block-1"}
    r1 = api.post(f"/v1/carnets/{eata_id}/block", json={"reason": "stolen"}, headers=block)
    r2 = api.post(f"/v1/carnets/{eata_id}/block", json={"reason": "stolen"}, headers=block)
    assert r1.status_code == r2.status_code == 200  # not a 409 "already blocked"


def test_f24_same_key_with_another_body_is_422(api):
    key = {"Idempotency-Key": "k-42"}
    assert api.post("/v1/carnets", json=carnet_body(), headers=key).status_code == 201
    r = api.post("/v1/carnets", json=carnet_body(), headers=key)
    assert r.status_code == 422
    assert r.get_json()["code"] == "idempotency_key_reused"


def test_f24_refused_requests_are_not_remembered(api):
    key = {"Idempotency-Key": "fix-and-retry"}
    body = carnet_body(currency="XXXX")
    assert api.post("/v1/carnets", json=body, headers=key).status_code == 422
    body["currency"] = "EUR"
    assert api.post("/v1/carnets", json=body, headers=key).status_code == 201


def test_f24_keys_are_per_client(api_as):
    key = {"Idempotency-Key": "shared"}
    assert api_as("be").post("/v1/carnets", json=carnet_body(), headers=key).status_code == 201
    assert api_as("fr").post("/v1/carnets", json=carnet_body(), headers=key).status_code == 201


def test_f24_bad_idempotency_key_is_400(api):
    r = api.post("/v1/carnets", json=carnet_body(), headers={"Idempotency-Key": "x" * 256})
    assert r.status_code == 400


def test_f24_openapi_document_is_served_and_matches_the_routes(app, client_for):
    r = client_for("api").get("/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {
        (m.upper(), "/v1" + re.sub(r"\{(\w+)\}", r"<\1>", p))
        for p, ops in doc["paths"].items()
        for m in ops
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("nics_api.", "customs_api.")) and rule.rule not in (
            "/v1/openapi.json",
            "/v1/docs",
        ):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
            served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented


def test_f24_docs_page_is_readable_and_csp_clean(client_for):
    r = client_for("api").get("/v1/docs")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "POST /v1/carnets" in page and "CarnetInput" in page
    assert (
        "<script" not in page and "style=" not in page and "http://" not in page.split("</head>")[0]
    )
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]


def test_f24_nul_characters_are_refused_not_a_500(api, issued):
    eata_id, _, _ = issued()
    r = api.post(f"/v1/carnets/{eata_id}/block", json={"reason": "a\x00b"})
    assert _fields(r) == {"reason": "Must not contain NUL characters."}
    assert api.get("/v1/carnets/by-number/BE%00").status_code == 404


def test_f24_deeply_nested_json_is_400_not_a_500(api):
    for depth in (25, 900):
        deep = '{"holder": ' + "[" * depth + "]" * depth + "}"
        r = api.post("/v1/carnets", data=deep, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, depth


def test_r11_two_identical_requests_racing_issue_one_carnet(app, api, session):
    import threading

    body, key = carnet_body(), {"Idempotency-Key": "race-1"}
    barrier, results = threading.Barrier(2), []

    def send():
        from tests.api.conftest import ApiClient

        client = ApiClient(app, api.token)
        barrier.wait()
        results.append(client.post("/v1/carnets", json=body, headers=key))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [201, 201], [r.get_json() for r in results]
    assert results[0].get_json()["eata_id"] == results[1].get_json()["eata_id"]
    assert session.scalar(select(func.count()).select_from(Carnet)) == 1


def test_r11_twin_request_refused_after_the_first_committed_gets_the_first_answer(
    api, session, monkeypatch
):
    """The window of the race above, made deterministic: the twin looked for a replay before
    the first request committed, then its validation saw the first carnet ("number already
    exists"). It must answer with the first result, not a 422."""
    from portal.domain import idempotency

    body, key = carnet_body(), {"Idempotency-Key": "race-2"}
    first = api.post("/v1/carnets", json=body, headers=key)
    assert first.status_code == 201
    real, calls = idempotency.find_replay, []

    def late(*args, **kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(idempotency, "find_replay", late)
    twin = api.post("/v1/carnets", json=body, headers=key)
    assert twin.status_code == 201, twin.get_json()
    assert twin.headers["Idempotent-Replayed"] == "true"
    assert twin.get_json()["eata_id"] == first.get_json()["eata_id"]
    assert session.scalar(select(func.count()).select_from(Carnet)) == 1
    # without a key, the same body is refused as a duplicate number, as before
    again = api.post("/v1/carnets", json=body)
    assert again.status_code == 422
