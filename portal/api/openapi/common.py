"""The pieces of the OpenAPI document both APIs use: scalar types, the problem document, the
OAuth schemas, the standard error answers and the words of validation messages.

Integers are JSON integers: `13.0` is refused where an integer is expected (it is a number
with a fraction part as the server parses it). Every text refuses the NUL character.
"""

from __future__ import annotations

from portal.db import MAX_ID
from portal.models import TRANSACTION_KINDS

INT32_MAX = MAX_ID
COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2"}
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DATETIME = {"type": "string", "format": "date-time"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
ID = {
    "type": "integer",
    "minimum": 1,
    "maximum": INT32_MAX,
    "description": "a whole number without a fraction (13, not 13.0)",
}


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
            "errors": {
                "type": "array",
                "items": _obj(
                    {"field": {"type": "string"}, "message": {"type": "string"}},
                    ["field", "message"],
                ),
            },
        },
    },
    "OAuthError": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    },
    "TokenResponse": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
            "scope": {"type": "string"},
        },
    },
    "TokenRequest": _obj(
        {
            "grant_type": {"const": "client_credentials"},
            "scope": {"type": "string"},
            "client_id": {"type": "string"},
            "client_secret": {"type": "string"},
        },
        ["grant_type"],
    ),
    "TransactionKind": {
        "enum": list(TRANSACTION_KINDS),
        "description": "the kind of a transaction, in both APIs (pre_export: "
        "the first step of an EU two-step exportation)",
    },
    "HistoryItem": _obj(
        {
            "transaction_id": {"type": "integer"},
            "kind": _ref("TransactionKind"),
            "state": {"enum": ["committed", "cancelled"]},
            "country": COUNTRY,
            "office": {"type": "string"},
            "committed_at": DATETIME,
            "reference": {"type": "string", "description": "the customs reference, if any"},
            "goods": {
                "type": "array",
                "items": _obj(
                    {
                        "item_no": {"type": "integer"},
                        "pieces": {"type": "integer"},
                        "line": {
                            "enum": [
                                "cleared",
                                "not_reimported",
                                "processed_abroad",
                                "not_reexported",
                            ]
                        },
                    },
                    ["item_no", "pieces", "line"],
                ),
            },
        },
        [
            "transaction_id",
            "kind",
            "state",
            "country",
            "office",
            "committed_at",
            "reference",
            "goods",
        ],
    ),
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
    "422": _problem(
        "Invalid fields (every one is listed in `errors`), or an Idempotency-Key "
        "reused with a different body"
    ),
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string (e.g. a UUID). A replay with the same key and body "
    "returns the first successful result (with `Idempotent-Replayed: true`); "
    "the same key with another body is a 422. Kept 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}

PAGE_PARAMS = [
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
]


def path_id(name: str, description: str = "") -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {**ID, "description": description or ID["description"]},
    }


def _json(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


_TYPE_WORDS = {
    "string": "a text",
    "integer": "a whole number",
    "number": "a number",
    "object": "an object",
    "array": "a list",
    "boolean": "true or false",
}


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
        hints = {
            "^[A-Z]{2}$": "a two-letter ISO country code in capitals (e.g. BE)",
            "^[A-Z]{3}$": "a three-letter ISO currency code in capitals (e.g. EUR)",
            r"^\d{4}-\d{2}-\d{2}$": "a date as YYYY-MM-DD",
        }
        return f"Must be {hints.get(val, 'in the expected format')}."
    return error.message
