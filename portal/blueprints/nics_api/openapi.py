"""The OpenAPI 3.1 document of the NICS API: the contract, served at /v1/openapi.json.

The request bodies are validated against these same schemas (jsonschema, draft 2020-12), so
what the document says is what the server enforces. tests/api checks the routes against it and
runs schemathesis over it.
"""
from __future__ import annotations

import copy
import datetime as dt
import re

from jsonschema import Draft202012Validator, FormatChecker

from portal.domain.carnets import (
    CARNET_TYPES,
    FORMATS,
    INTENDED_USES,
    MAX_SETS_PER_KIND,
    UNITS,
)
from portal.models import CARNET_STATUSES, SET_KINDS

INT32_MAX = 2_147_483_647
COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2"}
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DATETIME = {"type": "string", "format": "date-time"}
DECIMAL_STRING = {"type": "string", "pattern": r"^\d+(\.\d+)?$",
                  "description": "a decimal number as a string, to keep its precision"}
CARNET_NUMBER = {"type": "string", "pattern": "^[A-Z]{2}[A-Z0-9/-]{1,30}$",
                 "description": "the issuer's number, e.g. ES2023990062"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 200}


def _obj(properties: dict, required: list[str] | None = None, closed: bool = True) -> dict:
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, dict] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details. `errors` lists every failing field.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string", "description": "stable machine-readable reason"},
            "errors": {"type": "array", "items": _obj(
                {"field": {"type": "string"}, "message": {"type": "string"}},
                ["field", "message"])},
        },
    },
    "OAuthError": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    },
    "TokenResponse": {
        "type": "object", "required": ["access_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
            "scope": {"type": "string"},
        },
    },
    "TokenRequest": _obj({
        "grant_type": {"const": "client_credentials"},
        "scope": {"type": "string"},
        "client_id": {"type": "string"},
        "client_secret": {"type": "string"},
    }, ["grant_type"]),
    "Address": _obj({
        "street": {"type": "string", "maxLength": 200},
        "postal_code": {"type": "string", "maxLength": 20},
        "city": {"type": "string", "maxLength": 120},
        "country": COUNTRY,
    }, ["street", "city", "country"]),
    "Holder": _obj({
        "name": TEXT,
        "address": _ref("Address"),
        "email": {"type": "string", "maxLength": 254},
        "phone": {"type": "string", "maxLength": 40},
        "vat_number": {"type": "string", "maxLength": 40},
    }, ["name", "address"]),
    "Representative": _obj({
        "name": TEXT,
        "id_number": {"type": "string", "maxLength": 60},
        "address": _ref("Address"),
    }, ["name"]),
    "GoodsItemInput": _obj({
        "item_no": {"type": "integer", "minimum": 1, "maximum": 100000},
        "pieces": {"type": "integer", "minimum": 1, "maximum": 1_000_000_000},
        "description": {"type": "string", "minLength": 1, "maxLength": 2000,
                        "description": "with serial numbers"},
        "origin_country": COUNTRY,
        "value": {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000_000_000,
                  "description": "in the carnet's currency, at most 2 decimals"},
        "quantity": {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000_000,
                     "description": "weight or volume, in `unit`"},
        "unit": {"enum": list(UNITS)},
        "marks": {"type": "string", "maxLength": 500, "description": "identification marks"},
    }, ["item_no", "pieces", "description", "origin_country", "value"]),
    "SetsInput": _obj({
        kind: {"type": "integer", "minimum": 0, "maximum": MAX_SETS_PER_KIND}
        for kind in SET_KINDS
    }),
    "CarnetInput": _obj({
        "carnet_number": CARNET_NUMBER,
        "carnet_type": {"enum": list(CARNET_TYPES)},
        "format": {"enum": list(FORMATS),
                   "description": "digital; paper_clone = digital clone of a paper carnet "
                                  "(same number); twin = digital twin cross-referenced to a "
                                  "paper carnet"},
        "paper_carnet_number": CARNET_NUMBER,
        "issuing_association_id": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
        "departure_country": COUNTRY,
        "issue_date": DATE,
        "valid_until": {**DATE, "description": "at most one year after the issue date"},
        "intended_use": {"enum": list(INTENDED_USES)},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217"},
        "holder": _ref("Holder"),
        "representatives": {"type": "array", "maxItems": 20, "items": _ref("Representative")},
        "items": {"type": "array", "minItems": 1, "maxItems": 2000,
                  "items": _ref("GoodsItemInput"), "description": "numbered 1..n in order"},
        "countries": {"type": "array", "minItems": 1, "maxItems": 120, "items": COUNTRY,
                      "description": "Box P"},
        "sets": _ref("SetsInput"),
    }, ["carnet_number", "carnet_type", "format", "issue_date", "valid_until", "intended_use",
        "currency", "holder", "items", "countries", "sets"]),
    "SetsRequest": _obj({
        "kind": {"enum": list(SET_KINDS)},
        "count": {"type": "integer", "minimum": 1, "maximum": MAX_SETS_PER_KIND},
    }, ["kind", "count"]),
    "ReasonRequest": _obj({"reason": {"type": "string", "minLength": 1, "maxLength": 500}},
                          ["reason"]),
    "DischargeRequest": _obj({"reason": {"type": "string", "maxLength": 500}}),
    "GoodsItem": _obj({
        "item_no": {"type": "integer"},
        "pieces": {"type": "integer"},
        "description": {"type": "string"},
        "origin_country": COUNTRY,
        "value": DECIMAL_STRING,
        "quantity": {"oneOf": [DECIMAL_STRING, {"type": "null"}]},
        "unit": {"oneOf": [{"enum": list(UNITS)}, {"type": "null"}]},
        "marks": {"type": ["string", "null"]},
    }, ["item_no", "pieces", "description", "origin_country", "value", "quantity", "unit",
        "marks"]),
    "SetCount": _obj({"issued": {"type": "integer"}, "remaining": {"type": "integer"}},
                     ["issued", "remaining"]),
    "Sets": _obj({kind: _ref("SetCount") for kind in SET_KINDS}, list(SET_KINDS)),
    "Totals": _obj({
        "item_count": {"type": "integer"},
        "value": DECIMAL_STRING,
        "weight_kg": {"oneOf": [DECIMAL_STRING, {"type": "null"}]},
    }, ["item_count", "value", "weight_kg"]),
    "Link": _obj({
        "kind": {"enum": ["replaces", "replaced_by", "twin", "paper_clone"]},
        "eata_id": {"type": ["integer", "null"]},
        "carnet_number": {"type": "string"},
    }, ["kind", "eata_id", "carnet_number"]),
    "CarnetSummary": _obj({
        "eata_id": {"type": "integer"},
        "carnet_number": {"type": "string"},
        "carnet_type": {"enum": list(CARNET_TYPES)},
        "order_type": {"enum": ["original", "replacement"]},
        "format": {"enum": list(FORMATS)},
        "status": {"enum": list(CARNET_STATUSES)},
        "issue_date": DATE,
        "valid_until": DATE,
        "currency": {"type": "string"},
        "totals": _ref("Totals"),
        "sets": _ref("Sets"),
    }, ["eata_id", "carnet_number", "carnet_type", "order_type", "format", "status",
        "issue_date", "valid_until", "currency", "totals", "sets"]),
    "Carnet": _obj({
        "eata_id": {"type": "integer"},
        "carnet_number": {"type": "string"},
        "carnet_type": {"enum": list(CARNET_TYPES)},
        "order_type": {"enum": ["original", "replacement"]},
        "format": {"enum": list(FORMATS)},
        "status": {"enum": list(CARNET_STATUSES)},
        "status_reason": {"type": "string"},
        "nga": _obj({"id": {"type": "integer"}, "name": {"type": "string"}, "country": COUNTRY},
                    ["id", "name", "country"]),
        "issuing_association": {"oneOf": [
            _obj({"id": {"type": "integer"}, "name": {"type": "string"}}, ["id", "name"]),
            {"type": "null"}]},
        "departure_country": COUNTRY,
        "issue_date": DATE,
        "valid_until": DATE,
        "intended_use": {"enum": list(INTENDED_USES)},
        "currency": {"type": "string"},
        "holder": {"type": "object"},
        "representatives": {"type": "array", "items": {"type": "object"}},
        "items": {"type": "array", "items": _ref("GoodsItem")},
        "countries": {"type": "array", "items": COUNTRY},
        "sets": _ref("Sets"),
        "totals": _ref("Totals"),
        "links": {"type": "array", "items": _ref("Link")},
        "created_at": DATETIME,
        "updated_at": DATETIME,
    }, ["eata_id", "carnet_number", "carnet_type", "order_type", "format", "status",
        "status_reason", "nga", "issuing_association", "departure_country", "issue_date",
        "valid_until", "intended_use", "currency", "holder", "representatives", "items",
        "countries", "sets", "totals", "links", "created_at", "updated_at"]),
    "IssuedCarnet": _obj({
        "eata_id": {"type": "integer"},
        "pin": {"type": "string", "pattern": r"^\d{8}$",
                "description": "download PIN for the holder; returned once, never again"},
        "carnet": _ref("Carnet"),
    }, ["eata_id", "pin", "carnet"]),
    "CarnetPage": _obj({
        "items": {"type": "array", "items": _ref("CarnetSummary")},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "total": {"type": "integer"},
    }, ["items", "page", "per_page", "total"]),
    "Transaction": _obj({
        "kind": {"enum": ["validation", "exportation", "importation", "re_exportation",
                          "re_importation", "transit_open", "transit_close"]},
        "committed_at": DATETIME,
        "country": COUNTRY,
        "office": {"type": "string"},
        "customs_reference": {"type": ["string", "null"]},
        "cancelled": {"type": "boolean"},
        "items": {"type": "array", "items": _obj(
            {"item_no": {"type": "integer"}, "pieces": {"type": "integer"}},
            ["item_no", "pieces"])},
    }, ["kind", "committed_at", "country", "office", "cancelled", "items"]),
    "TransactionHistory": _obj({
        "eata_id": {"type": "integer"},
        "items": {"type": "array", "items": _ref("Transaction")},
    }, ["eata_id", "items"]),
    "Reconciliation": _obj({
        "eata_id": {"type": "integer"},
        "status": {"enum": ["N/A", "Terminated", "To check"]},
        "unbalanced": {"type": "array", "items": _obj({
            "item_no": {"type": "integer"}, "territory": {"type": "string"},
            "pieces": {"type": "integer"},
            "obligation": {"enum": ["reimport", "reexport", "transit"]}},
            ["item_no", "territory", "pieces"])},
    }, ["eata_id", "status", "unbalanced"]),
    "Claim": _obj({
        "id": {"type": "integer"}, "eata_id": {"type": "integer"},
        "carnet_number": {"type": "string"},
        "customs": {"type": "string", "description": "The administration that opened it"},
        "status": {"enum": ["open", "answered", "settled", "withdrawn"]},
        "reason": {"type": "string"},
        "import_duties": {"type": "string"},
        "liability_cap": {"type": "string", "description": "Import duties plus 10 %"},
        "currency": {"type": "string"},
        "opened_at": {"type": "string", "format": "date-time"},
        "answered_at": {"type": ["string", "null"], "format": "date-time"},
        "provisional_payment_at": {"type": ["string", "null"], "format": "date-time"},
        "closed_at": {"type": ["string", "null"], "format": "date-time"},
        "items": {"type": "array", "items": _obj({
            "item_no": {"type": "integer"}, "obligation": {"type": "string"},
            "missing": {"type": "integer"}}, ["item_no", "obligation", "missing"])},
        "deadlines": {"type": "array", "items": _obj({
            "label": {"type": "string"}, "due": {"type": "string", "format": "date"},
            "met_on": {"type": ["string", "null"], "format": "date"},
            "overdue": {"type": "boolean"}}, ["label", "due", "met_on", "overdue"])},
        "events": {"type": "array", "items": _obj({
            "kind": {"type": "string"}, "actor": {"enum": ["customs", "nga"]},
            "at": {"type": "string", "format": "date-time"}, "text": {"type": "string"},
            "transaction_ids": {"type": "array", "items": {"type": "integer"}}},
            ["kind", "actor", "at", "text", "transaction_ids"])},
        "evidence": {"type": "array", "items": _obj({
            "id": {"type": "integer"},
            "kind": {"enum": ["document", "certificate_of_location"]},
            "filename": {"type": "string"}, "content_type": {"type": "string"},
            "size": {"type": "integer"},
            "uploaded_at": {"type": "string", "format": "date-time"}},
            ["id", "kind", "filename", "content_type", "size", "uploaded_at"])},
        "transactions": {"type": "array", "items": _obj({
            "id": {"type": "integer"}, "kind": {"type": "string"},
            "state": {"type": "string"}, "country": {"type": "string"},
            "committed_at": {"type": "string", "format": "date-time"}},
            ["id", "kind", "state", "country", "committed_at"])},
    }, ["id", "eata_id", "carnet_number", "customs", "status", "reason", "import_duties",
        "liability_cap", "currency", "opened_at", "items", "deadlines"]),
    "Binary": {"type": "string", "format": "binary",
               "description": "The file's bytes as the request body"},
    "ClaimAnswer": _obj({
        "text": {"type": "string", "maxLength": 8000},
        "transaction_ids": {"type": "array", "maxItems": 100,
                            "items": {"type": "integer", "minimum": 1,
                                      "maximum": INT32_MAX}},
    }),
    "ClaimPage": _obj({
        "items": {"type": "array", "items": _ref("Claim")},
        "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "total": {"type": "integer"},
    }, ["items", "page", "per_page", "total"]),
}

_PROBLEM = {"application/problem+json": {"schema": _ref("Problem")}}


def _problem(description: str) -> dict:
    return {"description": description, "content": _PROBLEM}


COMMON_ERRORS = {
    "401": _problem("Missing, expired or revoked access token"),
    "403": _problem("The token lacks the scope this operation needs"),
    "429": _problem("Too many requests from this client"),
}
WRITE_ERRORS = {
    "400": _problem("Malformed JSON or Idempotency-Key"),
    "413": _problem("Body larger than the limit"),
    "415": _problem("Body is not application/json"),
    "422": _problem("Invalid fields (every one is listed in `errors`), or an Idempotency-Key "
                    "reused with a different body"),
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Any unique string (e.g. a UUID). A replay with the same key and body "
                   "returns the first successful result (with `Idempotent-Replayed: true`); "
                   "the same key with another body is a 422. Kept 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}
CLAIM_ID = {"name": "claim_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": INT32_MAX}}
EATA_ID = {"name": "eata_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": INT32_MAX}}


def _json(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _read(summary: str, schema: str, params: list | None = None, not_found: bool = True) -> dict:
    responses = {"200": _json(schema, "OK"), **COMMON_ERRORS}
    if not_found:
        responses["404"] = _problem("No such carnet of your NGA")
    return {"summary": summary, "security": [{"oauth2": ["carnets:read"]}],
            "parameters": params or [], "responses": responses}


def _write(summary: str, body: str, ok: str, ok_schema: str, params: list | None = None,
           conflict: str | None = None, description: str = "") -> dict:
    responses = {ok: _json(ok_schema, "Done"), **COMMON_ERRORS, **WRITE_ERRORS}
    if params:
        responses["404"] = _problem("No such carnet of your NGA")
    if conflict:
        responses["409"] = _problem(conflict)
    op = {"summary": summary, "security": [{"oauth2": ["carnets:write"]}],
          "parameters": [*(params or []), IDEMPOTENCY_KEY], "requestBody": _body(body),
          "responses": responses}
    if description:
        op["description"] = description
    return op


STATE_CONFLICT = "Not possible in the carnet's current state; `detail` says why"

DOCUMENT: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "eATA NICS API",
        "version": "1.0.0",
        "description": (
            "The API through which the national issuing and claims systems (NICS) of NGAs and "
            "their issuing associations register ATA carnets and follow them. JSON over HTTPS; "
            "authenticate with OAuth 2.0 client credentials; every error is an RFC 9457 "
            "problem document; every POST accepts an Idempotency-Key. Money and weights are "
            "sent as JSON numbers and returned as decimal strings. Dates are ISO 8601."
        ),
    },
    "servers": [{"url": "/v1"}],
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "oauth2": {
                "type": "oauth2",
                "description": "Client credentials (HTTP Basic or form fields); tokens live "
                               "15 minutes.",
                "flows": {"clientCredentials": {
                    "tokenUrl": "/v1/oauth/token",
                    "scopes": {"carnets:read": "read your NGA's carnets",
                               "carnets:write": "issue carnets and change them"},
                }},
            },
        },
    },
    "paths": {
        "/oauth/token": {"post": {
            "summary": "Get an access token (client credentials)",
            "security": [],
            "requestBody": {"required": True, "content": {
                "application/x-www-form-urlencoded": {"schema": _ref("TokenRequest")}}},
            "responses": {
                "200": _json("TokenResponse", "A bearer token"),
                "400": {"description": "RFC 6749 error", "content": {
                    "application/json": {"schema": _ref("OAuthError")}}},
                "401": {"description": "Unknown client or wrong secret", "content": {
                    "application/json": {"schema": _ref("OAuthError")}}},
                "429": _problem("Too many attempts"),
            },
        }},
        "/carnets": {
            "post": _write("Issue a carnet", "CarnetInput", "201", "IssuedCarnet",
                           description="Returns the eATA ID and the holder's download PIN. "
                                       "The PIN is shown once and stored only as a slow hash."),
            "get": _read("List your NGA's carnets, newest first", "CarnetPage", [
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                           "maximum": 1_000_000, "default": 1}},
                {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                               "maximum": 200, "default": 50}},
                {"name": "status", "in": "query", "schema": {"enum": list(CARNET_STATUSES)}},
            ], not_found=False),
        },
        "/carnets/by-number/{carnet_number}": {"get": _read(
            "Find a carnet by its number", "Carnet",
            [{"name": "carnet_number", "in": "path", "required": True,
              "schema": {"type": "string", "minLength": 1, "maxLength": 32}}])},
        "/carnets/{eata_id}": {"get": _read("Read a carnet", "Carnet", [EATA_ID])},
        "/carnets/{eata_id}/sets": {"post": _write(
            "Add sets", "SetsRequest", "200", "Carnet", [EATA_ID], STATE_CONFLICT)},
        "/carnets/{eata_id}/replacement": {"post": _write(
            "Issue a replacement linked to this original", "CarnetInput", "201",
            "IssuedCarnet", [EATA_ID], STATE_CONFLICT)},
        "/carnets/{eata_id}/cancel": {"post": _write(
            "Cancel a carnet that was never validated", "ReasonRequest", "200", "Carnet",
            [EATA_ID], STATE_CONFLICT)},
        "/carnets/{eata_id}/block": {"post": _write(
            "Block a carnet (lost, stolen, unpaid…)", "ReasonRequest", "200", "Carnet",
            [EATA_ID], STATE_CONFLICT)},
        "/carnets/{eata_id}/unblock": {"post": _write(
            "Lift a block", "ReasonRequest", "200", "Carnet", [EATA_ID], STATE_CONFLICT)},
        "/carnets/{eata_id}/discharge": {"post": _write(
            "Discharge (terminate) a carnet; unused vouchers are blocked", "DischargeRequest",
            "200", "Carnet", [EATA_ID], STATE_CONFLICT)},
        "/carnets/{eata_id}/transactions": {"get": _read(
            "The carnet's transaction history (counterfoil level)", "TransactionHistory",
            [EATA_ID])},
        "/carnets/{eata_id}/reconciliation": {"get": _read(
            "The carnet's reconciliation status", "Reconciliation", [EATA_ID])},
        "/claims": {"get": _read("Claims concerning your NGA", "ClaimPage", [
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                       "maximum": 1_000_000, "default": 1}},
            {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                           "maximum": 200, "default": 50}},
        ], not_found=False)},
        "/claims/{claim_id}": {"get": _read("A claim concerning your NGA, with its history, "
                                            "evidence and the carnet's recorded transactions",
                                            "Claim", [CLAIM_ID])},
        "/claims/{claim_id}/answer": {"post": _write(
            "Answer a claim: an explanation and pointers to recorded transactions",
            "ClaimAnswer", "200", "Claim", [CLAIM_ID],
            "The claim is already settled or withdrawn")},
        "/claims/{claim_id}/evidence": {"post": {
            "summary": "Furnish evidence: a document or a certificate of location, as the raw "
                       "body (application/pdf, image/png or image/jpeg), size-limited",
            "security": [{"oauth2": ["carnets:write"]}],
            "parameters": [CLAIM_ID,
                           {"name": "kind", "in": "query", "schema": {
                               "enum": ["document", "certificate_of_location"],
                               "default": "document"}},
                           {"name": "filename", "in": "query",
                            "schema": {"type": "string", "maxLength": 200}}],
            "requestBody": {"required": True, "content": {
                m: {"schema": _ref("Binary")}
                for m in ("application/pdf", "image/png", "image/jpeg")}},
            "responses": {"201": _json("Claim", "Stored"), **COMMON_ERRORS,
                          "404": _problem("No such claim concerning your NGA"),
                          "409": _problem("The claim is already settled or withdrawn"),
                          "413": _problem("File larger than the limit"),
                          "415": _problem("Not a PDF, PNG or JPEG"),
                          "422": _problem("Invalid kind or empty file")}}},
    },
}


def example_carnet(today: dt.date) -> dict:
    """A valid CarnetInput, dated today (shown on the docs page, used by the contract tests)."""
    return {
        "carnet_number": f"BE{today:%Y}990062",
        "carnet_type": "ATA",
        "format": "digital",
        "issue_date": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=364)).isoformat(),
        "intended_use": "professional_equipment",
        "currency": "EUR",
        "holder": {"name": "Studio Lumière SPRL", "address": {
            "street": "Rue Haute 12", "postal_code": "1000", "city": "Bruxelles",
            "country": "BE"}},
        "representatives": [{"name": "Anne Peeters", "id_number": "BE-99-1234"}],
        "items": [
            {"item_no": 1, "pieces": 1, "description": "Camera ARRI Alexa Mini LF, SN 23456",
             "origin_country": "DE", "value": 65000.00, "quantity": 2.6, "unit": "kg",
             "marks": "ARRI 23456"},
            {"item_no": 2, "pieces": 4, "description": "Lenses Zeiss Supreme Prime, SN 1-4",
             "origin_country": "DE", "value": 72000.00, "quantity": 6.4, "unit": "kg"},
        ],
        "countries": ["CH", "FR", "NO"],
        "sets": {"export_reimport": 1, "import_reexport": 3, "transit": 1},
    }


def document(today: dt.date | None = None) -> dict:
    doc = copy.deepcopy(DOCUMENT)
    today = today or dt.date.today()
    media = doc["paths"]["/carnets"]["post"]["requestBody"]["content"]["application/json"]
    media["example"] = example_carnet(today)
    return doc


_validators: dict[str, Draft202012Validator] = {}


def validator(schema_name: str) -> Draft202012Validator:
    if schema_name not in _validators:
        root = {"$ref": f"#/components/schemas/{schema_name}",
                "components": {"schemas": SCHEMAS}}
        _validators[schema_name] = Draft202012Validator(root, format_checker=FormatChecker())
    return _validators[schema_name]


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


_TYPE_WORDS = {"string": "a text", "integer": "a whole number", "number": "a number",
               "object": "an object", "array": "a list", "boolean": "true or false"}


def _message(error) -> str:
    v, val = error.validator, error.validator_value
    if v == "type":
        kinds = val if isinstance(val, list) else [val]
        return "Must be " + " or ".join(_TYPE_WORDS.get(k, k) for k in kinds) + "."
    if v == "minLength":
        return "Must not be empty." if val == 1 else f"Must have at least {val} characters."
    if v == "maxLength":
        return f"Must have at most {val} characters."
    if v == "exclusiveMinimum":
        return f"Must be greater than {val}."
    if v == "minimum":
        return f"Must be at least {val}."
    if v in ("maximum", "exclusiveMaximum"):
        return f"Must be at most {val}."
    if v == "enum":
        return "Must be one of: " + ", ".join(str(x) for x in val) + "."
    if v == "const":
        return f"Must be {val}."
    if v == "minItems":
        return "Must not be empty." if val == 1 else f"Needs at least {val} entries."
    if v == "maxItems":
        return f"Has at most {val} entries."
    if v == "format" and val == "date":
        return "Must be a real date as YYYY-MM-DD."
    if v == "pattern":
        hints = {"^[A-Z]{2}$": "a two-letter ISO country code in capitals (e.g. BE)",
                 "^[A-Z]{3}$": "a three-letter ISO currency code in capitals (e.g. EUR)",
                 r"^\d{4}-\d{2}-\d{2}$": "a date as YYYY-MM-DD"}
        return f"Must be {hints.get(val, 'in the expected format')}."
    return error.message


def schema_errors(schema_name: str, body) -> list[dict]:
    """Every schema violation of `body` as {"field", "message"}, in document order."""
    errors: list[dict] = []
    def order(error):
        return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path]

    for error in sorted(validator(schema_name).iter_errors(body), key=order):
        base = _path(error.absolute_path)
        if error.validator == "required":
            m = re.match(r"^'(.+)' is a required property$", error.message)
            name = m.group(1) if m else "?"
            errors.append({"field": _join(base, name), "message": "This field is required."})
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = set(error.schema.get("properties", {}))
            for extra in sorted(k for k in error.instance if k not in known):
                errors.append({"field": _join(base, extra), "message": "Unknown field."})
        else:
            errors.append({"field": base or "body", "message": _message(error)})
    return errors


# --- the customs integration API (F-49), served in the same document ------------------------

_CODE = {"type": "string", "minLength": 1, "maxLength": 40}
_VOUCHER_REF = {
    "carnet": {"type": "string", "minLength": 1, "maxLength": 40,
               "description": "the carnet's eATA ID or carnet number"},
    "code": {"type": "string", "minLength": 1, "maxLength": 40,
             "description": "the holder's transaction code (dashes and spaces ignored)"},
    "qr": {"type": "string", "minLength": 1, "maxLength": 200,
           "description": "the scanned QR payload, instead of carnet + code"},
}
_ACTING = {
    "office_id": {"type": "integer", "minimum": 1, "maximum": INT32_MAX,
                  "description": "the office of your administration the officer works from"},
    "officer": {"type": "string", "maxLength": 150,
                "description": "the officer's name, stored with the transaction"},
}
CUSTOMS_SCHEMAS: dict[str, dict] = {
    "CustomsLookupRequest": _obj(dict(_VOUCHER_REF)),
    "CustomsCommitRequest": _obj({
        **_VOUCHER_REF, **_ACTING,
        "step": {"enum": ["export", "exit"],
                 "description": "an exportation at an EU office: pre-export or exit (F-42)"},
        "fields": _obj({
            "goods_examined": {"type": "boolean"},
            "final_date": DATE,
            "customs_seals": {"type": "string", "maxLength": 300},
            "action_not_reexported": {"type": "string", "maxLength": 2000},
            "action_not_produced": {"type": "string", "maxLength": 2000},
            "not_reimported": {"type": "object", "additionalProperties": {
                "type": "integer", "minimum": 0}, "propertyNames": {"pattern": "^[0-9]{1,4}$"}},
            "processed_abroad": {"type": "object", "additionalProperties": {
                "type": "integer", "minimum": 0}, "propertyNames": {"pattern": "^[0-9]{1,4}$"}},
            "quantities": {"type": "object", "additionalProperties": {
                "type": "integer", "minimum": 0}, "propertyNames": {"pattern": "^[0-9]{1,4}$"},
                "description": "the pieces presented per item_no when they differ from the "
                               "holder's declaration (not for a validation)"},
            "reference": {"type": "string", "maxLength": 100},
            "remarks": {"type": "string", "maxLength": 2000},
        }),
    }, ["office_id"]),
    "CustomsReasonRequest": _obj({**_VOUCHER_REF, **_ACTING, "reason": TEXT},
                                 ["office_id", "reason"]),
    "CustomsOfficeRequest": _obj(dict(_ACTING), ["office_id"]),
    "CustomsCancelRequest": _obj({**_ACTING, "cancellation_code": _CODE, "reason": TEXT},
                                 ["office_id", "cancellation_code", "reason"]),
    "CustomsVoucher": {"type": "object", "required": ["kind", "state", "carnet", "goods"],
                       "properties": {"kind": {"type": "string"}, "state": {"type": "string"},
                                      "country": COUNTRY, "carnet": {"type": "object"},
                                      "travel": {"type": "object"},
                                      "goods": {"type": "array"}, "history": {"type": "array"},
                                      "on_hold": {"type": "array"}}},
    "CustomsCommitted": {"type": "object",
                         "required": ["transaction_id", "kind", "verification_code"],
                         "properties": {"transaction_id": {"type": "integer"},
                                        "kind": {"type": "string"},
                                        "transaction_ids": {"type": "array",
                                                            "items": {"type": "integer"}},
                                        "verification_code": {"type": "string"},
                                        "receipt": {"type": "string"}}},
    "CustomsRejected": {"type": "object", "required": ["rejection_id"],
                        "properties": {"rejection_id": {"type": "integer"},
                                       "kind": {"type": "string"}}},
    "CustomsHold": {"type": "object", "required": ["hold_id", "office", "reason"],
                    "properties": {"hold_id": {"type": "integer"},
                                   "office_id": {"type": "integer"},
                                   "office": {"type": "string"}, "held_by": {"type": "string"},
                                   "held_at": DATETIME, "reason": {"type": "string"},
                                   "released_at": {"type": ["string", "null"]},
                                   "released_by": {"type": ["string", "null"]}}},
    "CustomsHoldList": {"type": "object", "required": ["holds"],
                        "properties": {"holds": {"type": "array", "items": _ref("CustomsHold")}}},
    "CustomsCancelled": {"type": "object", "required": ["transaction_id", "state"],
                         "properties": {"transaction_id": {"type": "integer"},
                                        "kind": {"type": "string"},
                                        "state": {"const": "cancelled"}}},
}
SCHEMAS.update(CUSTOMS_SCHEMAS)


def _customs_op(summary: str, scope: str, body: str | None, ok: str, ok_schema: str,
                params: list | None = None, not_found: str = "", conflict: str = "",
                description: str = "") -> dict:
    responses = {ok: _json(ok_schema, "Done"), **COMMON_ERRORS}
    if body:
        responses.update(WRITE_ERRORS)
    if not_found:
        responses["404"] = _problem(not_found)
    if conflict:
        responses["409"] = _problem(conflict)
    op = {"summary": summary, "tags": ["customs"], "security": [{"oauth2": [scope]}],
          "parameters": list(params or []), "responses": responses}
    if body:
        op["requestBody"] = _body(body)
        op["parameters"].append(IDEMPOTENCY_KEY)
    if description:
        op["description"] = description
    return op


_NO_VOUCHER = ("No office of your administration with this id, or no voucher matches the carnet "
               "and code (wrong codes are counted and lead to a lock-out, R-10)")
DOCUMENT["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"][
    "scopes"].update({"customs:read": "look up vouchers and holds (customs clients)",
                      "customs:write": "commit, reject, hold, release, cancel (customs clients)"})
DOCUMENT["paths"].update({
    "/customs/vouchers/lookup": {"post": _customs_op(
        "Look up a voucher by carnet + transaction code (or QR)", "customs:read",
        "CustomsLookupRequest", "200", "CustomsVoucher", not_found=_NO_VOUCHER,
        description="What the officer checks (F-40 steps 2-3): the carnet, the goods the "
                    "voucher clears, the history as your territory may see it (R-04).")},
    "/customs/vouchers/commit": {"post": _customs_op(
        "Commit the voucher (F-41, F-42)", "customs:write", "CustomsCommitRequest", "201",
        "CustomsCommitted", not_found=_NO_VOUCHER,
        conflict="Already committed, on hold, or another rule refuses it; `detail` says why",
        description="The fields of each kind: validation goods_examined; export/import "
                    "final_date; re-export action_not_reexported/action_not_produced; "
                    "re-import not_reimported/processed_abroad {item_no: pieces}; transit "
                    "open final_date/customs_seals; every kind but validation: quantities {item_no: pieces} when the goods presented differ from the declaration. The Idempotency-Key is also the engine's "
                    "commit token: a replay never commits twice (R-11).")},
    "/customs/vouchers/reject": {"post": _customs_op(
        "Reject the declaration with a reason (F-44a)", "customs:write", "CustomsReasonRequest",
        "201", "CustomsRejected", not_found=_NO_VOUCHER, conflict="Already committed")},
    "/customs/vouchers/hold": {"post": _customs_op(
        "Put the carnet on hold in your territory (F-46)", "customs:write",
        "CustomsReasonRequest", "201", "CustomsHold", not_found=_NO_VOUCHER,
        conflict="Already on hold")},
    "/customs/holds": {"get": _customs_op(
        "The carnets on hold at your administration's offices", "customs:read", None, "200",
        "CustomsHoldList")},
    "/customs/holds/{hold_id}/release": {"post": _customs_op(
        "Release a hold (from the office that made it)", "customs:write",
        "CustomsOfficeRequest", "200", "CustomsHold",
        [{"name": "hold_id", "in": "path", "required": True,
          "schema": {"type": "integer", "minimum": 1, "maximum": INT32_MAX}}],
        not_found="No such hold or office of your administration",
        conflict="Already released")},
    "/customs/transactions/{transaction_id}/cancel": {"post": _customs_op(
        "Cancel a transaction with the holder's cancellation code (F-44)", "customs:write",
        "CustomsCancelRequest", "200", "CustomsCancelled",
        [{"name": "transaction_id", "in": "path", "required": True,
          "schema": {"type": "integer", "minimum": 1, "maximum": INT32_MAX}}],
        not_found="No such transaction or office of your administration",
        conflict="Already cancelled, or later transactions depend on it")},
})
