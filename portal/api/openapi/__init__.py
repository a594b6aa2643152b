"""The OpenAPI 3.1 document of api.<domain>/v1: the contract, served at /v1/openapi.json.

It is assembled from three parts: common.py (types, problem documents, OAuth), nics.py (the
chambers' systems) and customs.py (the customs administrations' systems). The request bodies
are validated against these same schemas (jsonschema, draft 2020-12), so what the document
says is what the server enforces; tests/api checks the routes against it and runs
schemathesis over it.
"""

from __future__ import annotations

import copy
import datetime as dt
import re

from jsonschema import Draft202012Validator, FormatChecker

from portal import caches
from portal.api.openapi import common, customs, nics
from portal.api.openapi.common import _join, _message, _path

SCHEMAS: dict[str, dict] = {**common.SCHEMAS, **nics.SCHEMAS, **customs.SCHEMAS}

DOCUMENT: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "eATA API",
        "version": "1.0.0",
        "description": (
            "The API through which the national issuing and claims systems (NICS) of NGAs and "
            "their issuing associations register ATA carnets and follow them, and through "
            "which the systems of customs administrations process vouchers (paths under "
            "/customs). JSON over HTTPS; authenticate with OAuth 2.0 client credentials; every "
            "error is an RFC 9457 problem document; every POST accepts an Idempotency-Key. "
            "Money and weights are sent as JSON numbers and returned as decimal strings. Dates "
            "are ISO 8601. Validation refuses: NUL characters in any text, numbers with a "
            "fraction where an integer is expected (13.0), ids above 2147483647, unknown "
            "fields. A method a path does not answer is a 405 with `Allow`."
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
                "flows": {
                    "clientCredentials": {
                        "tokenUrl": "/v1/oauth/token",
                        "scopes": {**nics.SCOPES, **customs.SCOPES},
                    }
                },
            },
        },
    },
    "paths": {**nics.PATHS, **customs.PATHS},
}


def operation_id(method: str, path: str) -> str:
    """e.g. post_carnets_eata_id_sets for POST /carnets/{eata_id}/sets."""
    return method + re.sub(r"[^a-z0-9]+", "_", path.lower()).rstrip("_")


def _add_links(doc: dict) -> None:
    """operationId on every operation, and the OpenAPI links from an answer to the operations
    that take one of its ids (what a client does next; the stateful fuzz run follows them)."""
    for path, item in doc["paths"].items():
        for method, op in item.items():
            op["operationId"] = operation_id(method, path)
    for (path, method, status), (targets, params) in {**nics.LINKS, **customs.LINKS}.items():
        links = doc["paths"][path][method]["responses"][status].setdefault("links", {})
        for target_method, target_path in targets:
            links[operation_id(target_method, target_path)] = {
                "operationId": operation_id(target_method, target_path),
                "parameters": params,
            }


_add_links(DOCUMENT)


def document(today: dt.date | None = None) -> dict:
    doc = copy.deepcopy(DOCUMENT)
    today = today or dt.date.today()
    media = doc["paths"]["/carnets"]["post"]["requestBody"]["content"]["application/json"]
    media["example"] = nics.example_carnet(today)
    return doc


_validators: dict[str, Draft202012Validator] = {}


def validator(schema_name: str) -> Draft202012Validator:
    if schema_name not in _validators:
        root = {"$ref": f"#/components/schemas/{schema_name}", "components": {"schemas": SCHEMAS}}
        _validators[schema_name] = Draft202012Validator(root, format_checker=FormatChecker())
    return _validators[schema_name]


caches.register("api.openapi.validators", _validators.clear)


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
