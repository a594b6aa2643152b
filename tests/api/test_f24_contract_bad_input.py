"""F-24: the contract under bad input — every answer a 4xx problem document, never a 5xx: ids
beyond the database's integer range in every path and body, wrong JSON types in every field,
a wrong method (405 with Allow), unknown paths, bodies over the limit."""

from __future__ import annotations

import pytest

from tests.support.factory import carnet_body

BIG = 2_147_483_648  # one past PostgreSQL's integer
HUGE = 2**63  # past bigint too
WRONG_TYPES = [{}, [], [{}], ["BE"], 13.5, True, None, "x"]


def _problem(r, *statuses):
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/problem+json"
    return r.get_json()


@pytest.mark.parametrize(
    "path",
    [
        "/v1/carnets/{id}",
        "/v1/carnets/{id}/transactions",
        "/v1/carnets/{id}/reconciliation",
        "/v1/claims/{id}",
    ],
)
@pytest.mark.parametrize("number", [BIG, HUGE])
def test_f24_nics_ids_out_of_range_in_paths_are_404(api, path, number):
    _problem(api.get(path.format(id=number)), 404)


@pytest.mark.parametrize("path", ["sets", "cancel", "block", "unblock", "discharge", "replacement"])
def test_f24_nics_write_paths_with_ids_out_of_range_are_404(api, path):
    _problem(api.post(f"/v1/carnets/{BIG}/{path}", json={"reason": "x"}), 404)
    _problem(api.post(f"/v1/claims/{BIG}/answer", json={"text": "x"}), 404)


@pytest.mark.parametrize(
    "field",
    [
        "departure_country",
        "countries",
        "items",
        "sets",
        "holder",
        "issue_date",
        "valid_until",
        "currency",
        "carnet_number",
        "format",
        "paper_carnet_number",
        "issuing_association_id",
        "representatives",
    ],
)
def test_f24_every_carnet_field_of_the_wrong_json_type_is_a_422(api, field):
    valid = {"countries": [["BE"]], "representatives": [[]]}.get(field, [])
    for wrong in (w for w in WRONG_TYPES if w not in valid):
        body = carnet_body()
        body[field] = wrong
        problem = _problem(api.post("/v1/carnets", json=body), 422)
        assert any(e["field"].startswith(field) for e in problem["errors"]), (wrong, problem)


@pytest.mark.parametrize(
    "field",
    ["item_no", "pieces", "description", "origin_country", "value", "quantity", "unit", "marks"],
)
def test_f24_every_goods_item_field_of_the_wrong_json_type_is_a_422(api, field):
    valid = {"description": ["x"], "marks": ["x"], "value": [13.5], "quantity": [13.5]}.get(
        field, []
    )
    for wrong in (w for w in WRONG_TYPES if w not in valid):
        body = carnet_body()
        body["items"][0][field] = wrong
        problem = _problem(api.post("/v1/carnets", json=body), 422)
        assert any(e["field"].startswith("items[0]") for e in problem["errors"]), (wrong, problem)


def test_f24_ids_out_of_range_in_bodies_are_422(api):
    for value in (BIG, HUGE, 0, -1):
        problem = _problem(
            api.post("/v1/carnets", json=carnet_body(issuing_association_id=value)), 422
        )
        assert problem["errors"][0]["field"] == "issuing_association_id"


def test_f24_an_integer_with_a_fraction_is_refused_and_the_schema_says_so(api, client_for):
    body = carnet_body()
    body["items"][0]["pieces"] = 2.0
    problem = _problem(api.post("/v1/carnets", json=body), 422)
    assert problem["errors"] == [{"field": "items[0].pieces", "message": "Must be a whole number."}]
    doc = client_for("api").get("/v1/openapi.json").get_json()
    assert "13.0" in doc["info"]["description"] and "NUL" in doc["info"]["description"]


def test_f24_a_wrong_method_is_a_405_with_allow(api):
    r = api.client.put("/v1/carnets", base_url=api.base_url, headers=api.headers())
    problem = _problem(r, 405)
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert "GET" in problem["detail"]
    r = api.client.delete("/v1/customs/holds/5/release", base_url=api.base_url)
    _problem(r, 405)
    assert "POST" in r.headers["Allow"]
    r = api.get("/v1/carnets/5/cancel")
    assert _problem(r, 405) and "POST" in r.headers["Allow"]


def test_f24_unknown_paths_and_large_bodies_are_problem_documents(api, app, monkeypatch):
    _problem(api.get("/v1/nothing-here"), 404)
    monkeypatch.setitem(app.config, "NICS_MAX_BODY", 1000)
    r = api.post("/v1/carnets", json=carnet_body(items=30))
    assert "1000 bytes" in _problem(r, 413)["detail"]


def test_f24_statuses_the_api_answers_are_documented(client_for):
    doc = client_for("api").get("/v1/openapi.json").get_json()
    assert "422" in doc["paths"]["/carnets"]["get"]["responses"]  # e.g. status=null
    assert "422" in doc["paths"]["/carnets/{eata_id}/transactions"]["get"]["responses"]
    lookup = doc["components"]["schemas"]["CustomsLookupRequest"]
    assert "carnet" in lookup["description"] and "qr" in lookup["description"]


def test_f24_list_filters_of_the_wrong_shape_are_422(api):
    _problem(api.get("/v1/carnets?status=null"), 422)
    _problem(api.get(f"/v1/carnets?page={HUGE}"), 422)
    _problem(api.get("/v1/carnets?per_page=abc"), 422)
