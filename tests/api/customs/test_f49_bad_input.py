"""F-49 / F-24: the customs API under bad input — ids beyond the database's integer range in
paths and bodies, wrong JSON types in every field: a 4xx problem document, never a 5xx."""

from __future__ import annotations

import pytest

from portal.domain.vouchers import code_of

BIG = 2_147_483_648
WRONG_TYPES = [{}, [], [{}], ["BE"], 13.5, 13.0, True, None]


def _problem(r, *statuses):
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/problem+json"
    return r.get_json()


@pytest.fixture
def desk(customs_client, kit):
    carnet = kit.issue(items=2)
    t = kit.travel(carnet, "CH", "FR")
    voucher = kit.voucher(t, "validation")
    api, office = customs_client("ch")
    return api, office, {"carnet": str(carnet.eata_id), "code": code_of(voucher)}


def test_f49_ids_out_of_range_in_paths_are_404(desk):
    api, office, _ = desk
    for number in (BIG, 2**63):
        _problem(
            api.post(f"/v1/customs/holds/{number}/release", json={"office_id": office.id}), 404
        )
        _problem(
            api.post(
                f"/v1/customs/transactions/{number}/cancel",
                json={"office_id": office.id, "cancellation_code": "A", "reason": "x"},
            ),
            404,
        )
        _problem(api.get(f"/v1/customs/transactions/{number}/receipt"), 404)
        _problem(api.get(f"/v1/customs/carnets/{number}/history"), 404)


def test_f49_ids_out_of_range_in_bodies_are_422(desk):
    api, _, ref = desk
    for number in (BIG, 2**63, 0):
        problem = _problem(
            api.post("/v1/customs/vouchers/hold", json={**ref, "office_id": number, "reason": "x"}),
            422,
        )
        assert problem["errors"][0]["field"] == "office_id"
    # a carnet reference of digits beyond any eATA ID names no carnet (a counted wrong guess)
    _problem(
        api.post(
            "/v1/customs/vouchers/lookup",
            json={"carnet": "99999999999999999999", "code": ref["code"]},
        ),
        422,
    )


@pytest.mark.parametrize(
    "operation,fields",
    [
        ("lookup", ["carnet", "code", "qr"]),
        ("commit", ["carnet", "code", "qr", "office_id", "officer", "step", "fields"]),
        ("hold", ["carnet", "code", "office_id", "reason"]),
    ],
)
def test_f49_every_field_of_the_wrong_json_type_is_a_422(desk, operation, fields):
    api, office, ref = desk
    for name in fields:
        for wrong in WRONG_TYPES:
            body = {**ref, "office_id": office.id, "reason": "x"}
            if operation == "lookup":
                body = dict(ref)
            body[name] = wrong
            r = api.post(f"/v1/customs/vouchers/{operation}", json=body)
            problem = _problem(r, 422)
            assert problem["errors"], (name, wrong, problem)


def test_f49_commit_fields_of_the_wrong_json_type_are_422(desk):
    api, office, ref = desk
    for name in ("goods_examined", "final_date", "quantities", "not_reimported", "remarks"):
        for wrong in ([{}], ["1"], 13.5, {"1": "x"}, {"1": 1.5}):
            r = api.post(
                "/v1/customs/vouchers/commit",
                json={**ref, "office_id": office.id, "fields": {name: wrong}},
            )
            _problem(r, 422)
