"""F-24: property-based testing of the served OpenAPI document with schemathesis — no 500, every
response conforms to the documented schema, status code and content type. Bounded (a few
examples per operation) so the suite stays quick."""
from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings

from tests.api.conftest import get_token

# schemathesis 3.x still uses jsonschema's deprecated RefResolver (its problem, not ours)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import schemathesis
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )
    from schemathesis.experimental import OPEN_API_3_1

OPEN_API_3_1.enable()
pytestmark = pytest.mark.filterwarnings(
    "ignore:jsonschema.RefResolver is deprecated:DeprecationWarning")

OPERATIONS = [
    ("GET", "/carnets"),
    ("POST", "/carnets"),
    ("GET", "/carnets/{eata_id}"),
    ("GET", "/carnets/by-number/{carnet_number}"),
    ("POST", "/carnets/{eata_id}/sets"),
    ("POST", "/carnets/{eata_id}/block"),
    ("GET", "/carnets/{eata_id}/reconciliation"),
    ("GET", "/claims"),
]
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance)


@pytest.fixture
def served_schema(app, client_for):
    doc = client_for("api").get("/v1/openapi.json").get_json()
    return schemathesis.from_dict(doc, app=app, base_url="http://api.eata.test/v1")


@pytest.mark.parametrize("method,path", OPERATIONS)
def test_f24_openapi_fuzz_no_500_and_responses_match_the_schema(app, ngas, issued, served_schema,
                                                               method, path):
    eata_id, _, _ = issued()  # one real carnet, so some generated ids may hit it
    _, client_id, secret = ngas["be"]
    token = get_token(app, client_id, secret).get_json()["access_token"]
    operation = served_schema[path][method]
    headers = {"Authorization": f"Bearer {token}", "Host": "api.eata.test"}

    @settings(max_examples=12, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case):
        if case.path_parameters and "eata_id" in case.path_parameters and case.path_parameters[
                "eata_id"] % 2:
            case.path_parameters["eata_id"] = eata_id
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


def test_f24_documented_example_is_accepted_and_its_answers_conform(app, ngas, served_schema,
                                                                   client_for):
    _, client_id, secret = ngas["be"]
    token = get_token(app, client_id, secret).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Host": "api.eata.test"}
    doc = client_for("api").get("/v1/openapi.json").get_json()
    example = doc["paths"]["/carnets"]["post"]["requestBody"]["content"]["application/json"][
        "example"]
    issue = served_schema["/carnets"]["POST"].make_case(
        body=example, media_type="application/json")
    response = issue.call_and_validate(headers=headers, checks=CHECKS)
    assert response.status_code == 201
    eata_id = response.json["eata_id"]
    for path in ("/carnets/{eata_id}", "/carnets/{eata_id}/transactions",
                 "/carnets/{eata_id}/reconciliation"):
        case = served_schema[path]["GET"].make_case(path_parameters={"eata_id": eata_id})
        assert case.call_and_validate(headers=headers, checks=CHECKS).status_code == 200
    for path, body in (("/carnets/{eata_id}/sets", {"kind": "transit", "count": 1}),
                       ("/carnets/{eata_id}/block", {"reason": "stolen"}),
                       ("/carnets/{eata_id}/cancel", {"reason": "x"})):  # 409: blocked
        case = served_schema[path]["POST"].make_case(
            path_parameters={"eata_id": eata_id}, body=body, media_type="application/json")
        assert case.call_and_validate(headers=headers, checks=CHECKS).status_code in (200, 409)
