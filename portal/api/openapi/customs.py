"""The customs part of the OpenAPI document (F-49): the systems of customs administrations."""

from __future__ import annotations

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
from portal.models import PAPER_KINDS

RECEIPT_LINK = {
    "type": "string",
    "format": "uri",
    "description": "absolute URL of the transaction's receipt on this API",
}
SCOPES = {
    "customs:read": "look up vouchers and holds (customs clients)",
    "customs:write": "commit, reject, hold, release, cancel; act on pre-declarations "
    "(customs clients)",
}

_CODE = {"type": "string", "minLength": 1, "maxLength": 40}
_VOUCHER_REF = {
    "carnet": {
        "type": "string",
        "minLength": 1,
        "maxLength": 40,
        "description": "the carnet's eATA ID or carnet number",
    },
    "code": {
        "type": "string",
        "minLength": 1,
        "maxLength": 40,
        "description": "the holder's transaction code (dashes and spaces ignored)",
    },
    "qr": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "description": "the scanned QR payload, instead of carnet + code",
    },
}
_NAMES_VOUCHER = (
    "Name the voucher by `carnet` and `code` together, or by `qr`; a body with "
    'neither is a 422 (field `code`: "Send carnet and code, or qr."). A wrong '
    "code or a forged QR counts against the client and the carnet (R-10)."
)
_ACTING = {
    "office_id": {
        "type": "integer",
        "minimum": 1,
        "maximum": INT32_MAX,
        "description": "the office of your administration the officer works from",
    },
    "officer": {
        "type": "string",
        "maxLength": 150,
        "description": "the officer's name, stored with the transaction",
    },
}
SCHEMAS: dict[str, dict] = {
    "CustomsLookupRequest": {**_obj(dict(_VOUCHER_REF)), "description": _NAMES_VOUCHER},
    "CustomsCommitRequest": _obj(
        {
            **_VOUCHER_REF,
            **_ACTING,
            "step": {
                "enum": ["export", "exit"],
                "description": "an exportation at an EU office: pre-export or exit (F-42)",
            },
            "fields": _obj(
                {
                    "goods_examined": {"type": "boolean"},
                    "final_date": DATE,
                    "customs_seals": {"type": "string", "maxLength": 300},
                    "action_not_reexported": {"type": "string", "maxLength": 2000},
                    "action_not_produced": {"type": "string", "maxLength": 2000},
                    "not_reimported": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 0},
                        "propertyNames": {"pattern": "^[0-9]{1,4}$"},
                    },
                    "not_reexported": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 0},
                        "propertyNames": {"pattern": "^[0-9]{1,4}$"},
                        "description": "re-export: goods not re-exported (home use), "
                        "{item_no: pieces}",
                    },
                    "processed_abroad": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 0},
                        "propertyNames": {"pattern": "^[0-9]{1,4}$"},
                    },
                    "quantities": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 0},
                        "propertyNames": {"pattern": "^[0-9]{1,4}$"},
                        "description": "the pieces presented per item_no when they differ from the "
                        "holder's declaration (not for a validation)",
                    },
                    "reference": {"type": "string", "maxLength": 100},
                    "remarks": {"type": "string", "maxLength": 2000},
                }
            ),
        },
        ["office_id"],
    ),
    "CustomsReasonRequest": _obj(
        {**_VOUCHER_REF, **_ACTING, "reason": TEXT}, ["office_id", "reason"]
    ),
    "CustomsHoldRequest": _obj(
        {
            **_VOUCHER_REF,
            **_ACTING,
            "reason": TEXT,
            "reference": {
                "type": "string",
                "maxLength": 100,
                "description": "the customs reference of the hold (a case number), if any",
            },
        },
        ["office_id", "reason"],
    ),
    "CustomsOfficeRequest": _obj(dict(_ACTING), ["office_id"]),
    "CustomsPaperRequest": _obj(
        {
            **_VOUCHER_REF,
            **_ACTING,
            "kind": {"enum": list(PAPER_KINDS)},
            "country": COUNTRY,
            "office": {
                "type": "string",
                "minLength": 1,
                "maxLength": 160,
                "description": "the customs office that stamped the paper carnet",
            },
            "made_on": DATE,
            "counterfoil_no": {"type": "string", "minLength": 1, "maxLength": 40},
            "remarks": {"type": "string", "maxLength": 2000},
        },
        ["office_id", "kind", "country", "office", "made_on", "counterfoil_no"],
    ),
    "CustomsPaperRecorded": _obj(
        {
            "paper_transaction_id": {"type": "integer"},
            "eata_id": {"type": "integer"},
            "kind": {"enum": list(PAPER_KINDS)},
            "country": COUNTRY,
            "office": {"type": "string"},
            "made_on": DATE,
            "counterfoil_no": {"type": "string"},
            "carnet_status": {"type": "string"},
        },
        ["paper_transaction_id", "eata_id", "kind", "country", "made_on", "counterfoil_no"],
    ),
    "CustomsCancelRequest": _obj(
        {**_ACTING, "cancellation_code": _CODE, "reason": TEXT},
        ["office_id", "cancellation_code", "reason"],
    ),
    "CustomsVoucher": {
        "type": "object",
        "required": ["kind", "state", "carnet", "goods", "history", "on_hold"],
        "properties": {
            "kind": _ref("TransactionKind"),
            "kind_label": {"type": "string"},
            "state": {"type": "string"},
            "country": COUNTRY,
            "carnet": {"type": "object"},
            "travel": {"type": "object"},
            "goods": {"type": "array"},
            "history": {
                "type": "array",
                "items": _ref("HistoryItem"),
                "description": "as your territory may see it (R-04)",
            },
            "on_hold": {"type": "array"},
        },
    },
    "CustomsHistory": _obj(
        {
            "eata_id": {"type": "integer"},
            "carnet_number": {"type": "string"},
            "items": {"type": "array", "items": _ref("HistoryItem")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
        ["eata_id", "carnet_number", "items", "page", "per_page", "total"],
    ),
    "CustomsCommitted": {
        "type": "object",
        "required": ["transaction_id", "kind", "verification_code", "receipt"],
        "properties": {
            "transaction_id": {"type": "integer"},
            "kind": _ref("TransactionKind"),
            "transaction_ids": {"type": "array", "items": {"type": "integer"}},
            "verification_code": {"type": "string"},
            "receipt": RECEIPT_LINK,
        },
    },
    "CustomsReceipt": {
        "type": "object",
        "required": ["transaction_id", "kind", "state", "eata_id", "verification_code", "lines"],
        "properties": {
            "transaction_id": {"type": "integer"},
            "kind": _ref("TransactionKind"),
            "kind_label": {"type": "string"},
            "state": {"enum": ["committed", "cancelled"]},
            "eata_id": {"type": "integer"},
            "carnet_number": {"type": "string"},
            "verification_code": {"type": "string"},
            "cancelled_at": {"type": ["string", "null"]},
            "lines": {"type": "array"},
        },
    },
    "CustomsRejected": {
        "type": "object",
        "required": ["rejection_id"],
        "properties": {"rejection_id": {"type": "integer"}, "kind": _ref("TransactionKind")},
    },
    "CustomsHold": {
        "type": "object",
        "required": ["hold_id", "office", "reason"],
        "properties": {
            "hold_id": {"type": "integer"},
            "office_id": {"type": "integer"},
            "office": {"type": "string"},
            "held_by": {"type": "string"},
            "held_at": DATETIME,
            "reason": {"type": "string"},
            "reference": {"type": "string", "description": "the customs reference of the hold"},
            "released_at": {"type": ["string", "null"]},
            "released_by": {"type": ["string", "null"]},
        },
    },
    "CustomsHoldList": {
        "type": "object",
        "required": ["holds"],
        "properties": {"holds": {"type": "array", "items": _ref("CustomsHold")}},
    },
    "CustomsCancelled": {
        "type": "object",
        "required": ["transaction_id", "state"],
        "properties": {
            "transaction_id": {"type": "integer"},
            "kind": _ref("TransactionKind"),
            "state": {"const": "cancelled"},
            "receipt": RECEIPT_LINK,
        },
    },
}

_OFFICER = {"officer": _ACTING["officer"]}
SCHEMAS.update(
    {
        "CustomsPredeclarationAct": _obj(dict(_OFFICER)),
        "CustomsPredeclarationReject": _obj({**_OFFICER, "reason": TEXT}, ["reason"]),
        "CustomsPredeclarationCommit": _obj(
            {
                **_OFFICER,
                "step": SCHEMAS["CustomsCommitRequest"]["properties"]["step"],
                "fields": SCHEMAS["CustomsCommitRequest"]["properties"]["fields"],
            }
        ),
        "CustomsPredeclaration": _obj(
            {
                "predeclaration_id": {"type": "integer"},
                "type": {"enum": ["pre-notification", "pre-declaration"]},
                "kind": _ref("TransactionKind"),
                "option": {
                    "enum": ["", "notification_only", "automatic"],
                    "description": "'' pre-notification with the carnet's details; "
                    "'notification_only' without them; 'automatic' pre-declaration (allow "
                    "automatic transaction: may be committed)",
                },
                "state": {
                    "enum": ["pending", "acknowledged", "rejected", "committed", "withdrawn"]
                },
                "reason": {"type": ["string", "null"]},
                "eata_id": {"type": "integer"},
                "carnet_number": {"type": "string"},
                "holder": {
                    "type": ["string", "null"],
                    "description": "null when sent without the carnet's details",
                },
                "office_id": {"type": "integer"},
                "office": {"type": "string"},
                "expected_at": {
                    "type": "string",
                    "description": "the expected arrival in the office's local time "
                    "(yyyy-mm-ddThh:mm:ss, no zone)",
                },
                "carriage": {"enum": ["cargo", "hand_carry"]},
                "shipment_number": {"type": "string"},
                "transport_mode": {"enum": ["air", "sea", "land"]},
                "transport_id": {"type": "string"},
                "representative": {"type": ["object", "null"]},
                "goods": {
                    "type": "array",
                    "items": {"type": "object"},
                    "description": "empty when sent without the carnet's details",
                },
                "acted_by": {"type": ["string", "null"]},
                "acted_at": {"type": ["string", "null"]},
                "transaction_id": {"type": ["integer", "null"]},
                "created_at": DATETIME,
            },
            ["predeclaration_id", "type", "kind", "option", "state", "eata_id", "office_id"],
        ),
        "CustomsPredeclarationList": _obj(
            {
                "items": {"type": "array", "items": _ref("CustomsPredeclaration")},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer"},
            },
            ["items", "page", "per_page", "total"],
        ),
    }
)


def _customs_op(
    summary: str,
    scope: str,
    body: str | None,
    ok: str,
    ok_schema: str,
    params: list | None = None,
    not_found: str = "",
    conflict: str = "",
    description: str = "",
) -> dict:
    responses = {ok: _json(ok_schema, "Done"), **COMMON_ERRORS}
    if body:
        responses.update(WRITE_ERRORS)
    if any(p["in"] == "query" for p in params or []):
        responses["422"] = _problem("A query argument is not valid (listed in `errors`)")
    if not_found:
        responses["404"] = _problem(not_found)
    if conflict:
        responses["409"] = _problem(conflict)
    op = {
        "summary": summary,
        "tags": ["customs"],
        "security": [{"oauth2": [scope]}],
        "parameters": list(params or []),
        "responses": responses,
    }
    if body:
        op["requestBody"] = _body(body)
        op["parameters"].append(IDEMPOTENCY_KEY)
    if description:
        op["description"] = description
    return op


_NO_VOUCHER = (
    "No office of your administration with this id, or no voucher matches the carnet "
    "and code (wrong codes are counted and lead to a lock-out, R-10)"
)
PATHS: dict = {
    "/customs/vouchers/lookup": {
        "post": _customs_op(
            "Look up a voucher by carnet + transaction code (or QR)",
            "customs:read",
            "CustomsLookupRequest",
            "200",
            "CustomsVoucher",
            not_found=_NO_VOUCHER,
            description="What the officer checks (F-40 steps 2-3): the carnet, the goods the "
            "voucher clears, the history as your territory may see it (R-04).",
        )
    },
    "/customs/vouchers/commit": {
        "post": _customs_op(
            "Commit the voucher (F-41, F-42)",
            "customs:write",
            "CustomsCommitRequest",
            "201",
            "CustomsCommitted",
            not_found=_NO_VOUCHER,
            conflict="Already committed, on hold, or another rule refuses it; `detail` says why",
            description="The fields of each kind: validation goods_examined; export/import "
            "final_date; re-export action_not_reexported/action_not_produced and "
            "not_reexported {item_no: pieces} (home use); "
            "re-import not_reimported/processed_abroad {item_no: pieces}; transit "
            "open final_date/customs_seals; every kind but validation: quantities "
            "{item_no: pieces} when the goods presented differ from the declaration. "
            "The Idempotency-Key is also the engine's commit token: a replay never "
            "commits twice (R-11).",
        )
    },
    "/customs/vouchers/reject": {
        "post": _customs_op(
            "Reject the declaration with a reason (F-44a)",
            "customs:write",
            "CustomsReasonRequest",
            "201",
            "CustomsRejected",
            not_found=_NO_VOUCHER,
            conflict="Already committed",
        )
    },
    "/customs/vouchers/hold": {
        "post": _customs_op(
            "Put the carnet on hold in your territory (F-46)",
            "customs:write",
            "CustomsHoldRequest",
            "201",
            "CustomsHold",
            not_found=_NO_VOUCHER,
            conflict="Already on hold",
        )
    },
    "/customs/carnets/{eata_id}/history": {
        "get": _customs_op(
            "A carnet's transactions as your territory may see them (R-04), without a voucher",
            "customs:read",
            None,
            "200",
            "CustomsHistory",
            [path_id("eata_id"), *PAGE_PARAMS],
            not_found="No carnet with this eATA ID",
            description="Transactions before the carnet first entered your territory, your "
            "territory's own, and the final re-importation; cancelled ones with their "
            "state. Answers 422 for a page or per_page out of range.",
        )
    },
    "/customs/transactions/{transaction_id}/receipt": {
        "get": _customs_op(
            "The receipt of a transaction your administration committed",
            "customs:read",
            None,
            "200",
            "CustomsReceipt",
            [path_id("transaction_id")],
            not_found="No such transaction of your administration",
        )
    },
    "/customs/paper-transactions": {
        "post": _customs_op(
            "Record a transaction made on the paper carnet (F-72), so the history is whole",
            "customs:write",
            "CustomsPaperRequest",
            "201",
            "CustomsPaperRecorded",
            not_found=_NO_VOUCHER,
            conflict="Not possible in the carnet's state, a paper validation recorded already, "
            "or a paper carnet not accepted there (a digital country since that date); "
            "`detail` says why",
            description="Names the carnet by carnet + transaction code (or QR) like the other "
            "writes; the country must be the departure country for a validation, exportation "
            "or re-importation and a Box P country otherwise. A paper validation in a paper "
            "departure country validates the digital carnet too (use case 2).",
        )
    },
    "/customs/holds": {
        "get": _customs_op(
            "The carnets on hold at your administration's offices",
            "customs:read",
            None,
            "200",
            "CustomsHoldList",
        )
    },
    "/customs/holds/{hold_id}/release": {
        "post": _customs_op(
            "Release a hold (from the office that made it)",
            "customs:write",
            "CustomsOfficeRequest",
            "200",
            "CustomsHold",
            [path_id("hold_id")],
            not_found="No such hold or office of your administration",
            conflict="Already released",
        )
    },
    "/customs/predeclarations": {
        "get": _customs_op(
            "Incoming pre-notifications and pre-declarations of your offices (F-51)",
            "customs:read",
            None,
            "200",
            "CustomsPredeclarationList",
            [
                *PAGE_PARAMS,
                {
                    "name": "office_id",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
                },
                {
                    "name": "date",
                    "in": "query",
                    "required": False,
                    "description": "the expected arrival day",
                    "schema": DATE,
                },
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "description": "'open' = pending or acknowledged",
                    "schema": {
                        "enum": [
                            "open",
                            "pending",
                            "acknowledged",
                            "rejected",
                            "committed",
                            "withdrawn",
                        ]
                    },
                },
            ],
            description="Newest first. Answers 422 for a filter or page out of range.",
        )
    },
    "/customs/predeclarations/{predeclaration_id}": {
        "get": _customs_op(
            "One pre-notification or pre-declaration",
            "customs:read",
            None,
            "200",
            "CustomsPredeclaration",
            [path_id("predeclaration_id")],
            not_found="No such pre-declaration of your administration",
        )
    },
    "/customs/predeclarations/{predeclaration_id}/acknowledge": {
        "post": _customs_op(
            "Acknowledge it: the holder's travel shows a green check (F-52)",
            "customs:write",
            "CustomsPredeclarationAct",
            "200",
            "CustomsPredeclaration",
            [path_id("predeclaration_id")],
            not_found="No such pre-declaration of your administration",
            conflict="Customs or the holder already acted on it; `detail` says what happened",
        )
    },
    "/customs/predeclarations/{predeclaration_id}/reject": {
        "post": _customs_op(
            "Reject it with a reason: the goods must stop for inspection (F-52)",
            "customs:write",
            "CustomsPredeclarationReject",
            "200",
            "CustomsPredeclaration",
            [path_id("predeclaration_id")],
            not_found="No such pre-declaration of your administration",
            conflict="Already rejected, committed or withdrawn",
        )
    },
    "/customs/predeclarations/{predeclaration_id}/commit": {
        "post": _customs_op(
            "Commit a pre-declaration at its office (F-51)",
            "customs:write",
            "CustomsPredeclarationCommit",
            "201",
            "CustomsCommitted",
            [path_id("predeclaration_id")],
            not_found="No such pre-declaration of your administration",
            conflict="A pre-notification, already acted on, or a rule of the engine refuses "
            "it; `detail` says why",
            description="The same commit and rules as /customs/vouchers/commit, at the office "
            "the pre-declaration was sent to, with the goods declared; the "
            "Idempotency-Key is the engine's commit token (R-11).",
        )
    },
    "/customs/transactions/{transaction_id}/cancel": {
        "post": _customs_op(
            "Cancel a transaction with the holder's cancellation code (F-44)",
            "customs:write",
            "CustomsCancelRequest",
            "200",
            "CustomsCancelled",
            [path_id("transaction_id")],
            not_found="No such transaction or office of your administration",
            conflict="Already cancelled, or later transactions depend on it",
        )
    },
}


for _name in ("CustomsCommitRequest", "CustomsReasonRequest", "CustomsHoldRequest"):
    SCHEMAS[_name]["description"] = _NAMES_VOUCHER

# (source path, method, status) → (target operations, their parameters from the answer)
_BY_TRANSACTION = [
    ("get", "/customs/transactions/{transaction_id}/receipt"),
    ("post", "/customs/transactions/{transaction_id}/cancel"),
]
LINKS = {
    ("/customs/predeclarations/{predeclaration_id}/commit", "post", "201"): (
        _BY_TRANSACTION,
        {"transaction_id": "$response.body#/transaction_id"},
    ),
    ("/customs/vouchers/commit", "post", "201"): (
        _BY_TRANSACTION,
        {"transaction_id": "$response.body#/transaction_id"},
    ),
    ("/customs/vouchers/hold", "post", "201"): (
        [("post", "/customs/holds/{hold_id}/release")],
        {"hold_id": "$response.body#/hold_id"},
    ),
    ("/customs/vouchers/lookup", "post", "200"): (
        [("get", "/customs/carnets/{eata_id}/history")],
        {"eata_id": "$response.body#/carnet/eata_id"},
    ),
}
