"""The NICS part of the OpenAPI document: the schemas and operations of the chambers' systems
(F-18, F-22 … F-24, F-67)."""

from __future__ import annotations

import datetime as dt

from portal.api.openapi.common import (
    COMMON_ERRORS,
    COUNTRY,
    DATE,
    DATETIME,
    IDEMPOTENCY_KEY,
    INT32_MAX,
    PAGE_PARAMS,
    TEXT,
    WRITE_ERRORS,
    _body,
    _json,
    _obj,
    _problem,
    _ref,
    path_id,
)
from portal.domain.carnets import (
    CARNET_TYPES,
    FORMATS,
    INTENDED_USES,
    MAX_SETS_PER_KIND,
    UNITS,
)
from portal.models import CARNET_STATUSES, PAPER_KINDS, SET_KINDS, STATUS_CHANGES

DECIMAL_STRING = {
    "type": "string",
    "pattern": r"^\d+(\.\d+)?$",
    "description": "a decimal number as a string, to keep its precision",
}
CARNET_NUMBER = {
    "type": "string",
    "pattern": "^[A-Z]{2}[A-Z0-9/-]{1,30}$",
    "description": "the issuer's number, e.g. ES2023990062",
}

SCOPES = {
    "carnets:read": "read your NGA's carnets",
    "carnets:write": "issue carnets and change them",
}

SCHEMAS: dict[str, dict] = {
    "Address": _obj(
        {
            "street": {"type": "string", "maxLength": 200},
            "postal_code": {"type": "string", "maxLength": 20},
            "city": {"type": "string", "maxLength": 120},
            "country": COUNTRY,
        },
        ["street", "city", "country"],
    ),
    "Holder": _obj(
        {
            "name": TEXT,
            "address": _ref("Address"),
            "email": {"type": "string", "maxLength": 254},
            "phone": {"type": "string", "maxLength": 40},
            "vat_number": {"type": "string", "maxLength": 40},
        },
        ["name", "address"],
    ),
    "Representative": _obj(
        {
            "name": TEXT,
            "id_number": {"type": "string", "maxLength": 60},
            "address": _ref("Address"),
        },
        ["name"],
    ),
    "GoodsItemInput": _obj(
        {
            "item_no": {"type": "integer", "minimum": 1, "maximum": 100000},
            "pieces": {"type": "integer", "minimum": 1, "maximum": 1_000_000_000},
            "description": {
                "type": "string",
                "minLength": 1,
                "maxLength": 2000,
                "description": "with serial numbers",
            },
            "origin_country": COUNTRY,
            "value": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 1_000_000_000_000,
                "description": "in the carnet's currency, at most 2 decimals",
            },
            "quantity": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 1_000_000_000,
                "description": "weight or volume, in `unit`",
            },
            "unit": {"enum": list(UNITS)},
            "marks": {"type": "string", "maxLength": 500, "description": "identification marks"},
        },
        ["item_no", "pieces", "description", "origin_country", "value"],
    ),
    "SetsInput": _obj(
        {
            kind: {"type": "integer", "minimum": 0, "maximum": MAX_SETS_PER_KIND}
            for kind in SET_KINDS
        }
    ),
    "CarnetInput": _obj(
        {
            "carnet_number": CARNET_NUMBER,
            "carnet_type": {"enum": list(CARNET_TYPES)},
            "format": {
                "enum": list(FORMATS),
                "description": "digital; paper_clone = digital clone of a paper carnet "
                "(same number); twin = digital twin cross-referenced to a "
                "paper carnet",
            },
            "paper_carnet_number": CARNET_NUMBER,
            "issuing_association_id": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
            "departure_country": COUNTRY,
            "issue_date": DATE,
            "valid_until": {**DATE, "description": "at most one year after the issue date"},
            "intended_use": {"enum": list(INTENDED_USES)},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217"},
            "holder": _ref("Holder"),
            "representatives": {"type": "array", "maxItems": 20, "items": _ref("Representative")},
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": 2000,
                "items": _ref("GoodsItemInput"),
                "description": "numbered 1..n in order",
            },
            "countries": {
                "type": "array",
                "minItems": 1,
                "maxItems": 120,
                "items": COUNTRY,
                "description": "Box P",
            },
            "sets": _ref("SetsInput"),
        },
        [
            "carnet_number",
            "carnet_type",
            "format",
            "issue_date",
            "valid_until",
            "intended_use",
            "currency",
            "holder",
            "items",
            "countries",
            "sets",
        ],
    ),
    "SetsRequest": _obj(
        {
            "kind": {"enum": list(SET_KINDS)},
            "count": {"type": "integer", "minimum": 1, "maximum": MAX_SETS_PER_KIND},
        },
        ["kind", "count"],
    ),
    "ReasonRequest": _obj(
        {"reason": {"type": "string", "minLength": 1, "maxLength": 500}}, ["reason"]
    ),
    "DischargeRequest": _obj({"reason": {"type": "string", "maxLength": 500}}),
    "GoodsItem": _obj(
        {
            "item_no": {"type": "integer"},
            "pieces": {"type": "integer"},
            "description": {"type": "string"},
            "origin_country": COUNTRY,
            "value": DECIMAL_STRING,
            "quantity": {"oneOf": [DECIMAL_STRING, {"type": "null"}]},
            "unit": {"oneOf": [{"enum": list(UNITS)}, {"type": "null"}]},
            "marks": {"type": ["string", "null"]},
        },
        [
            "item_no",
            "pieces",
            "description",
            "origin_country",
            "value",
            "quantity",
            "unit",
            "marks",
        ],
    ),
    "SetCount": _obj(
        {"issued": {"type": "integer"}, "remaining": {"type": "integer"}}, ["issued", "remaining"]
    ),
    "Sets": _obj({kind: _ref("SetCount") for kind in SET_KINDS}, list(SET_KINDS)),
    "Totals": _obj(
        {
            "item_count": {"type": "integer"},
            "value": DECIMAL_STRING,
            "weight_kg": {"oneOf": [DECIMAL_STRING, {"type": "null"}]},
        },
        ["item_count", "value", "weight_kg"],
    ),
    "Link": _obj(
        {
            "kind": {"enum": ["replaces", "replaced_by", "twin", "paper_clone"]},
            "eata_id": {"type": ["integer", "null"]},
            "carnet_number": {"type": "string"},
        },
        ["kind", "eata_id", "carnet_number"],
    ),
    "CarnetPredeclaration": _obj(
        {
            "predeclaration_id": {"type": "integer"},
            "type": {"enum": ["pre-notification", "pre-declaration"]},
            "kind": {"type": "string"},
            "state": {"enum": ["pending", "acknowledged", "rejected", "committed", "withdrawn"]},
            "office": {"type": "string"},
            "country": {"type": ["string", "null"]},
            "expected_at": {"type": "string", "description": "the office's local time"},
            "transport_mode": {"enum": ["air", "sea", "land"]},
            "created_at": DATETIME,
        },
        ["predeclaration_id", "type", "kind", "state", "office", "expected_at", "created_at"],
    ),
    "CarnetSummary": _obj(
        {
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
        },
        [
            "eata_id",
            "carnet_number",
            "carnet_type",
            "order_type",
            "format",
            "status",
            "issue_date",
            "valid_until",
            "currency",
            "totals",
            "sets",
        ],
    ),
    "Carnet": _obj(
        {
            "eata_id": {"type": "integer"},
            "carnet_number": {"type": "string"},
            "carnet_type": {"enum": list(CARNET_TYPES)},
            "order_type": {"enum": ["original", "replacement"]},
            "format": {"enum": list(FORMATS)},
            "status": {"enum": list(CARNET_STATUSES)},
            "status_reason": {"type": "string"},
            "nga": _obj(
                {"id": {"type": "integer"}, "name": {"type": "string"}, "country": COUNTRY},
                ["id", "name", "country"],
            ),
            "issuing_association": {
                "oneOf": [
                    _obj({"id": {"type": "integer"}, "name": {"type": "string"}}, ["id", "name"]),
                    {"type": "null"},
                ]
            },
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
            "predeclarations": {
                "type": "array",
                "items": _ref("CarnetPredeclaration"),
                "description": "the holder's pre-notifications and pre-declarations to "
                "customs offices (F-50) and what customs did with them",
            },
            "created_at": DATETIME,
            "updated_at": DATETIME,
        },
        [
            "eata_id",
            "carnet_number",
            "carnet_type",
            "order_type",
            "format",
            "status",
            "status_reason",
            "nga",
            "issuing_association",
            "departure_country",
            "issue_date",
            "valid_until",
            "intended_use",
            "currency",
            "holder",
            "representatives",
            "items",
            "countries",
            "sets",
            "totals",
            "links",
            "predeclarations",
            "created_at",
            "updated_at",
        ],
    ),
    "IssuedCarnet": _obj(
        {
            "eata_id": {"type": "integer"},
            "pin": {
                "type": "string",
                "pattern": r"^\d{8}$",
                "description": "download PIN for the holder; returned once, never again",
            },
            "carnet": _ref("Carnet"),
        },
        ["eata_id", "pin", "carnet"],
    ),
    "CarnetPage": _obj(
        {
            "items": {"type": "array", "items": _ref("CarnetSummary")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
        ["items", "page", "per_page", "total"],
    ),
    "TransactionHistory": _obj(
        {
            "eata_id": {"type": "integer"},
            "items": {"type": "array", "items": _ref("HistoryItem")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
        ["eata_id", "items", "page", "per_page", "total"],
    ),
    "Reconciliation": _obj(
        {
            "eata_id": {"type": "integer"},
            "status": {"enum": ["N/A", "Terminated", "To check"]},
            "unbalanced": {
                "type": "array",
                "items": _obj(
                    {
                        "item_no": {"type": "integer"},
                        "territory": {"type": "string"},
                        "pieces": {"type": "integer"},
                        "obligation": {"enum": ["reimport", "reexport", "transit"]},
                    },
                    ["item_no", "territory", "pieces"],
                ),
            },
        },
        ["eata_id", "status", "unbalanced"],
    ),
    "Claim": _obj(
        {
            "id": {"type": "integer"},
            "eata_id": {"type": "integer"},
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
            "items": {
                "type": "array",
                "items": _obj(
                    {
                        "item_no": {"type": "integer"},
                        "obligation": {"type": "string"},
                        "missing": {"type": "integer"},
                    },
                    ["item_no", "obligation", "missing"],
                ),
            },
            "deadlines": {
                "type": "array",
                "items": _obj(
                    {
                        "label": {"type": "string"},
                        "due": {"type": "string", "format": "date"},
                        "met_on": {"type": ["string", "null"], "format": "date"},
                        "overdue": {"type": "boolean"},
                    },
                    ["label", "due", "met_on", "overdue"],
                ),
            },
            "events": {
                "type": "array",
                "items": _obj(
                    {
                        "kind": {"type": "string"},
                        "actor": {"enum": ["customs", "nga"]},
                        "at": {"type": "string", "format": "date-time"},
                        "text": {"type": "string"},
                        "transaction_ids": {"type": "array", "items": {"type": "integer"}},
                    },
                    ["kind", "actor", "at", "text", "transaction_ids"],
                ),
            },
            "evidence": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "integer"},
                        "kind": {"enum": ["document", "certificate_of_location"]},
                        "filename": {"type": "string"},
                        "content_type": {"type": "string"},
                        "size": {"type": "integer"},
                        "uploaded_at": {"type": "string", "format": "date-time"},
                    },
                    ["id", "kind", "filename", "content_type", "size", "uploaded_at"],
                ),
            },
            "transactions": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "integer"},
                        "kind": _ref("TransactionKind"),
                        "state": {"type": "string"},
                        "country": {"type": "string"},
                        "committed_at": {"type": "string", "format": "date-time"},
                    },
                    ["id", "kind", "state", "country", "committed_at"],
                ),
            },
        },
        [
            "id",
            "eata_id",
            "carnet_number",
            "customs",
            "status",
            "reason",
            "import_duties",
            "liability_cap",
            "currency",
            "opened_at",
            "items",
            "deadlines",
        ],
    ),
    "Binary": {
        "type": "string",
        "format": "binary",
        "description": "The file's bytes as the request body",
    },
    "ClaimAnswer": _obj(
        {
            "text": {"type": "string", "maxLength": 8000},
            "transaction_ids": {
                "type": "array",
                "maxItems": 100,
                "items": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
            },
        }
    ),
    "ClaimPage": _obj(
        {
            "items": {"type": "array", "items": _ref("Claim")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
        ["items", "page", "per_page", "total"],
    ),
}

CLAIM_ID = path_id("claim_id")
EATA_ID = path_id("eata_id")


def _read(summary: str, schema: str, params: list | None = None, not_found: bool = True) -> dict:
    responses = {"200": _json(schema, "OK"), **COMMON_ERRORS}
    if not_found:
        responses["404"] = _problem("No such carnet of your NGA")
    if any(p["in"] == "query" for p in params or []):
        responses["422"] = _problem(
            "A query argument is not valid (every one is listed in "
            "`errors`), e.g. status=null or page=0"
        )
    return {
        "summary": summary,
        "security": [{"oauth2": ["carnets:read"]}],
        "parameters": params or [],
        "responses": responses,
    }


def _write(
    summary: str,
    body: str,
    ok: str,
    ok_schema: str,
    params: list | None = None,
    conflict: str | None = None,
    description: str = "",
) -> dict:
    responses = {ok: _json(ok_schema, "Done"), **COMMON_ERRORS, **WRITE_ERRORS}
    if params:
        responses["404"] = _problem("No such carnet of your NGA")
    if conflict:
        responses["409"] = _problem(conflict)
    op = {
        "summary": summary,
        "security": [{"oauth2": ["carnets:write"]}],
        "parameters": [*(params or []), IDEMPOTENCY_KEY],
        "requestBody": _body(body),
        "responses": responses,
    }
    if description:
        op["description"] = description
    return op


STATE_CONFLICT = "Not possible in the carnet's current state; `detail` says why"
SIGNATURE = {
    "type": "string",
    "pattern": "^[A-Za-z0-9_-]{1,16}\\.[A-Za-z0-9_-]{86}$",
    "description": "<kid>.<base64url Ed25519 signature> over the canonical JSON "
    "(sorted keys, no spaces, UTF-8) of the document without `signature`",
}
SCHEMAS.update(
    {
        "ReceiptKey": _obj(
            {
                "kid": {"type": "string"},
                "alg": {"enum": ["Ed25519"]},
                "public_key": {"type": "string", "description": "32 bytes, base64url"},
                "not_before": {"type": ["string", "null"], "format": "date-time"},
                "not_after": {"type": ["string", "null"], "format": "date-time"},
                "status": {"enum": ["signing", "verify-only"]},
            },
            ["kid", "alg", "public_key", "not_before", "not_after", "status"],
        ),
        "ReceiptKeys": _obj(
            {
                "issuer": {"type": "string"},
                "signing_kid": {"type": "string"},
                "keys": {"type": "array", "items": _ref("ReceiptKey")},
            },
            ["issuer", "signing_kid", "keys"],
        ),
        "ReceiptRevocations": _obj(
            {
                "kind": {"enum": ["eata-receipt-revocations"]},
                "issued_at": DATETIME,
                "revoked": {
                    "type": "array",
                    "items": _obj(
                        {
                            "receipt": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                            "cancelled_at": DATETIME,
                        },
                        ["receipt", "cancelled_at"],
                    ),
                },
                "signature": SIGNATURE,
            },
            ["kind", "issued_at", "revoked", "signature"],
        ),
    }
)
PATHS: dict = {
    "/receipt-keys": {
        "get": {
            "summary": "The public keys that sign receipts, carnet statements and audit "
            "checkpoints, with their validity (docs/evidence.md); no token needed",
            "security": [],
            "responses": {"200": _json("ReceiptKeys", "The published keys")},
        }
    },
    "/receipt-revocations": {
        "get": {
            "summary": "The signed list of cancelled receipts, each by its receipt id (the "
            "first 16 bytes of the SHA-256 of its signature, hex); no token needed",
            "security": [],
            "responses": {
                "200": _json("ReceiptRevocations", "The signed list"),
                "429": _problem("Too many requests"),
            },
        }
    },
    "/oauth/token": {
        "post": {
            "summary": "Get an access token (client credentials)",
            "security": [],
            "requestBody": {
                "required": True,
                "content": {"application/x-www-form-urlencoded": {"schema": _ref("TokenRequest")}},
            },
            "responses": {
                "200": _json("TokenResponse", "A bearer token"),
                "400": {
                    "description": "RFC 6749 error",
                    "content": {"application/json": {"schema": _ref("OAuthError")}},
                },
                "401": {
                    "description": "Unknown client or wrong secret",
                    "content": {"application/json": {"schema": _ref("OAuthError")}},
                },
                "429": _problem("Too many attempts"),
            },
        }
    },
    "/carnets": {
        "post": _write(
            "Issue a carnet",
            "CarnetInput",
            "201",
            "IssuedCarnet",
            description="Returns the eATA ID and the holder's download PIN. "
            "The PIN is shown once and stored only as a slow hash.",
        ),
        "get": _read(
            "List your NGA's carnets, newest first",
            "CarnetPage",
            [
                *PAGE_PARAMS,
                {"name": "status", "in": "query", "schema": {"enum": list(CARNET_STATUSES)}},
            ],
            not_found=False,
        ),
    },
    "/carnets/by-number/{carnet_number}": {
        "get": _read(
            "Find a carnet by its number",
            "Carnet",
            [
                {
                    "name": "carnet_number",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 32},
                }
            ],
        )
    },
    "/carnets/{eata_id}": {"get": _read("Read a carnet", "Carnet", [EATA_ID])},
    "/carnets/{eata_id}/sets": {
        "post": _write("Add sets", "SetsRequest", "200", "Carnet", [EATA_ID], STATE_CONFLICT)
    },
    "/carnets/{eata_id}/replacement": {
        "post": _write(
            "Issue a replacement linked to this original",
            "CarnetInput",
            "201",
            "IssuedCarnet",
            [EATA_ID],
            STATE_CONFLICT,
        )
    },
    "/carnets/{eata_id}/cancel": {
        "post": _write(
            "Cancel a carnet that was never validated",
            "ReasonRequest",
            "200",
            "Carnet",
            [EATA_ID],
            STATE_CONFLICT,
        )
    },
    "/carnets/{eata_id}/block": {
        "post": _write(
            "Block a carnet (lost, stolen, unpaid…)",
            "ReasonRequest",
            "200",
            "Carnet",
            [EATA_ID],
            STATE_CONFLICT,
        )
    },
    "/carnets/{eata_id}/unblock": {
        "post": _write("Lift a block", "ReasonRequest", "200", "Carnet", [EATA_ID], STATE_CONFLICT)
    },
    "/carnets/{eata_id}/discharge": {
        "post": _write(
            "Discharge (terminate) a carnet; unused vouchers are blocked",
            "DischargeRequest",
            "200",
            "Carnet",
            [EATA_ID],
            STATE_CONFLICT,
        )
    },
    "/carnets/{eata_id}/transactions": {
        "get": _read(
            "The carnet's transactions, oldest first, cancelled ones included (counterfoil "
            "level), paged",
            "TransactionHistory",
            [EATA_ID, *PAGE_PARAMS],
        )
    },
    "/carnets/{eata_id}/reconciliation": {
        "get": _read("The carnet's reconciliation status", "Reconciliation", [EATA_ID])
    },
    "/claims": {
        "get": _read("Claims concerning your NGA", "ClaimPage", PAGE_PARAMS, not_found=False)
    },
    "/claims/{claim_id}": {
        "get": _read(
            "A claim concerning your NGA, with its history, "
            "evidence and the carnet's recorded transactions",
            "Claim",
            [CLAIM_ID],
        )
    },
    "/claims/{claim_id}/answer": {
        "post": _write(
            "Answer a claim: an explanation and pointers to recorded transactions",
            "ClaimAnswer",
            "200",
            "Claim",
            [CLAIM_ID],
            "The claim is already settled or withdrawn",
        )
    },
    "/claims/{claim_id}/evidence": {
        "post": {
            "summary": "Furnish evidence: a document or a certificate of location, as the raw "
            "body (application/pdf, image/png or image/jpeg), size-limited",
            "security": [{"oauth2": ["carnets:write"]}],
            "parameters": [
                CLAIM_ID,
                {
                    "name": "kind",
                    "in": "query",
                    "schema": {
                        "enum": ["document", "certificate_of_location"],
                        "default": "document",
                    },
                },
                {"name": "filename", "in": "query", "schema": {"type": "string", "maxLength": 200}},
            ],
            "requestBody": {
                "required": True,
                "content": {
                    m: {"schema": _ref("Binary")}
                    for m in ("application/pdf", "image/png", "image/jpeg")
                },
            },
            "responses": {
                "201": _json("Claim", "Stored"),
                **COMMON_ERRORS,
                "404": _problem("No such claim concerning your NGA"),
                "409": _problem("The claim is already settled or withdrawn"),
                "413": _problem("File larger than the limit"),
                "415": _problem("Not a PDF, PNG or JPEG"),
                "422": _problem("Invalid kind or empty file"),
            },
        }
    },
}

NULL_DATE = {"oneOf": [DATE, {"type": "null"}]}
SCHEMAS.update(
    {
        "AtaStatus": _obj(
            {
                "country": COUNTRY,
                "name": {"type": "string"},
                "territory": {"type": "string"},
                "status": {"enum": ["paper", "digital"]},
                "digital_from": NULL_DATE,
                "provisional_from": NULL_DATE,
            },
            ["country", "name", "territory", "status", "digital_from", "provisional_from"],
        ),
        "AtaStatusList": _obj(
            {"on": DATE, "items": {"type": "array", "items": _ref("AtaStatus")}},
            ["on", "items"],
        ),
        "AtaStatusHistory": _obj(
            {
                "country": COUNTRY,
                "name": {"type": "string"},
                "territory": {"type": "string"},
                "status": {"enum": ["paper", "digital"]},
                "digital_from": NULL_DATE,
                "provisional_from": NULL_DATE,
                "history": {
                    "type": "array",
                    "items": _obj(
                        {
                            "status": {"enum": list(STATUS_CHANGES)},
                            "digital_from": NULL_DATE,
                            "notified_on": DATE,
                            "recorded_at": DATETIME,
                        },
                        ["status", "digital_from", "notified_on", "recorded_at"],
                    ),
                },
            },
            ["country", "status", "history"],
        ),
        "ItineraryRequest": _obj(
            {
                "departure_country": COUNTRY,
                "departure_date": DATE,
                "visits": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 50,
                    "items": _obj(
                        {
                            "country": COUNTRY,
                            "date": DATE,
                            "role": {"enum": ["destination", "transit"], "default": "destination"},
                        },
                        ["country"],
                    ),
                },
            },
            ["departure_country", "visits"],
        ),
        "ItineraryAdvice": _obj(
            {
                "use_case": {"type": "integer", "minimum": 1, "maximum": 6},
                "format": {"enum": ["paper", "paper_clone", "twin", "digital"]},
                "options": {
                    "type": "array",
                    "items": {"enum": ["paper", "paper_clone", "twin", "digital"]},
                },
                "reason": {"type": "string"},
                "legs": {
                    "type": "array",
                    "items": _obj(
                        {
                            "country": COUNTRY,
                            "role": {"enum": ["departure", "destination", "transit"]},
                            "date": DATE,
                            "status": {"enum": ["paper", "digital"]},
                            "carnet": {"enum": ["paper", "digital"]},
                            "why": {"type": "string"},
                        },
                        ["country", "role", "date", "status", "carnet", "why"],
                    ),
                },
            },
            ["use_case", "format", "options", "reason", "legs"],
        ),
        "CoverPages": _obj(
            {
                "eata_id": {"type": "integer"},
                "items": {
                    "type": "array",
                    "items": _obj(
                        {
                            "id": {"type": "integer"},
                            "filename": {"type": "string"},
                            "content_type": {
                                "enum": ["application/pdf", "image/png", "image/jpeg"]
                            },
                            "size": {"type": "integer"},
                            "sha256": {"type": "string"},
                            "uploaded_by": {"enum": ["holder", "api_client", "chamber"]},
                            "uploaded_at": DATETIME,
                        },
                        [
                            "id",
                            "filename",
                            "content_type",
                            "size",
                            "sha256",
                            "uploaded_by",
                            "uploaded_at",
                        ],
                    ),
                },
            },
            ["eata_id", "items"],
        ),
        "PaperTransactionInput": _obj(
            {
                "kind": {"enum": list(PAPER_KINDS)},
                "country": COUNTRY,
                "office": {"type": "string", "minLength": 1, "maxLength": 160},
                "made_on": DATE,
                "counterfoil_no": {"type": "string", "minLength": 1, "maxLength": 40},
                "remarks": {"type": "string", "maxLength": 2000},
            },
            ["kind", "country", "office", "made_on", "counterfoil_no"],
        ),
        "DischargeView": _obj(
            {
                "eata_id": {"type": "integer"},
                "status": {"enum": list(CARNET_STATUSES)},
                "open_vouchers": {"type": "integer", "minimum": 0},
                "items": {
                    "type": "array",
                    "items": _obj(
                        {
                            "date": DATE,
                            "medium": {"enum": ["digital", "paper"]},
                            "kind": {"type": "string"},
                            "country": COUNTRY,
                            "office": {"type": "string"},
                            "reference": {"type": "string"},
                            "state": {"enum": ["committed", "cancelled", "recorded"]},
                        },
                        ["date", "medium", "kind", "country", "office", "reference", "state"],
                    ),
                },
            },
            ["eata_id", "status", "open_vouchers", "items"],
        ),
    }
)
PATHS.update(
    {
        "/ata-statuses": {
            "get": _read(
                "The published list: every ATA country, paper or digital on a day (F-70)",
                "AtaStatusList",
                [{"name": "on", "in": "query", "schema": DATE}],
                not_found=False,
            )
        },
        "/ata-statuses/{country}": {
            "get": {
                **_read(
                    "A country's ATA status and its history (F-70)",
                    "AtaStatusHistory",
                    [{"name": "country", "in": "path", "required": True, "schema": COUNTRY}],
                    not_found=False,
                ),
                "responses": {
                    "200": _json("AtaStatusHistory", "OK"),
                    **COMMON_ERRORS,
                    "404": _problem("Not an ATA country"),
                },
            }
        },
        "/itinerary-advice": {
            "post": {
                "summary": "Which format to issue for an itinerary, per leg, from the statuses "
                "at the dates of travel (F-71, Global Transition Plan use cases 1–6)",
                "description": "Reads only: no Idempotency-Key.",
                "security": [{"oauth2": ["carnets:read"]}],
                "requestBody": _body("ItineraryRequest"),
                "responses": {
                    "200": _json("ItineraryAdvice", "The advice"),
                    **COMMON_ERRORS,
                    "400": _problem("Malformed JSON"),
                    "413": _problem("Body larger than the limit"),
                    "415": _problem("Body is not application/json"),
                    "422": _problem("Invalid fields (every one is listed in `errors`)"),
                },
            }
        },
        "/carnets/{eata_id}/cover-pages": {
            "get": _read(
                "The paper cover pages attached to the carnet (F-37)", "CoverPages", [EATA_ID]
            ),
            "post": {
                "summary": "Attach the validated paper cover page (F-37, use case 2) as the raw "
                "body: PDF, PNG or JPEG, checked by content (not by Content-Type), at most 5 MB; "
                "PDFs with scripts or actions and oversized images are refused",
                "security": [{"oauth2": ["carnets:write"]}],
                "parameters": [
                    EATA_ID,
                    {
                        "name": "filename",
                        "in": "query",
                        "schema": {"type": "string", "maxLength": 200},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        m: {"schema": _ref("Binary")}
                        for m in ("application/pdf", "image/png", "image/jpeg")
                    },
                },
                "responses": {
                    "201": _json("CoverPages", "Stored"),
                    **COMMON_ERRORS,
                    "404": _problem("No such carnet of your NGA"),
                    "409": _problem("Not a carnet validated in a paper country, or too many files"),
                    "413": _problem("File larger than the limit"),
                    "415": _problem("Not a PDF, PNG or JPEG by its content"),
                    "422": _problem("Empty, damaged or hostile file; `detail` says why"),
                },
            },
        },
        "/carnets/{eata_id}/cover-pages/{cover_page_id}": {
            "get": {
                "summary": "Download a cover page (Content-Disposition: attachment)",
                "security": [{"oauth2": ["carnets:read"]}],
                "parameters": [EATA_ID, path_id("cover_page_id")],
                "responses": {
                    "200": {
                        "description": "The file",
                        "content": {
                            m: {"schema": _ref("Binary")}
                            for m in ("application/pdf", "image/png", "image/jpeg")
                        },
                    },
                    **COMMON_ERRORS,
                    "404": _problem("No such carnet of your NGA or cover page"),
                },
            }
        },
        "/carnets/{eata_id}/discharge-view": {
            "get": _read(
                "Digital and recorded paper transactions side by side, for discharge (F-74)",
                "DischargeView",
                [EATA_ID],
            )
        },
        "/carnets/{eata_id}/paper-transactions": {
            "post": _write(
                "Record a transaction made on the paper carnet (F-72, F-74)",
                "PaperTransactionInput",
                "201",
                "DischargeView",
                [EATA_ID],
                "Not possible in the carnet's state, or a paper carnet is not accepted there "
                "(a digital country since that date); `detail` says why",
            )
        },
    }
)

_BY_EATA_ID = [
    ("get", "/carnets/{eata_id}"),
    ("get", "/carnets/{eata_id}/transactions"),
    ("get", "/carnets/{eata_id}/reconciliation"),
    *(
        ("post", f"/carnets/{{eata_id}}/{action}")
        for action in ("sets", "replacement", "cancel", "block", "unblock", "discharge")
    ),
]
# (source path, method, status) → (target operations, their parameters from the answer)
LINKS = {
    ("/carnets", "post", "201"): (_BY_EATA_ID, {"eata_id": "$response.body#/eata_id"}),
    ("/carnets/{eata_id}/replacement", "post", "201"): (
        _BY_EATA_ID,
        {"eata_id": "$response.body#/eata_id"},
    ),
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
        "holder": {
            "name": "Studio Lumière SPRL",
            "address": {
                "street": "Rue Haute 12",
                "postal_code": "1000",
                "city": "Bruxelles",
                "country": "BE",
            },
        },
        "representatives": [{"name": "Anne Peeters", "id_number": "BE-99-1234"}],
        "items": [
            {
                "item_no": 1,
                "pieces": 1,
                "description": "Camera ARRI Alexa Mini LF, SN 23456",
                "origin_country": "DE",
                "value": 65000.00,
                "quantity": 2.6,
                "unit": "kg",
                "marks": "ARRI 23456",
            },
            {
                "item_no": 2,
                "pieces": 4,
                "description": "Lenses Zeiss Supreme Prime, SN 1-4",
                "origin_country": "DE",
                "value": 72000.00,
                "quantity": 6.4,
                "unit": "kg",
            },
        ],
        "countries": ["CH", "FR", "NO"],
        "sets": {"export_reimport": 1, "import_reexport": 3, "transit": 1},
    }
