"""JSON request bodies: parsed strictly (numbers with a fraction stay Decimal, NaN/Infinity
refused), NUL characters and deep nesting refused, then checked against a schema of the
OpenAPI document — so each field has the JSON type the document says before any rule reads it.
"""

from __future__ import annotations

import json
from decimal import Decimal

from flask import request

from portal.api.openapi import schema_errors
from portal.api.problems import Problem
from portal.domain.carnets import ValidationFailed

MAX_DEPTH = 20


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


def json_body():
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise Problem(415, "Send the body as JSON with Content-Type: application/json.")
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise Problem(
            400, f"The body is not valid JSON: {exc}".rstrip(".") + ".", "malformed_json"
        ) from None
    nul = nul_fields(body)
    if nul:  # PostgreSQL text cannot hold NUL, and no field needs it
        raise ValidationFailed(
            [{"field": f or "body", "message": "Must not contain NUL characters."} for f in nul]
        )
    return body


def nul_fields(body) -> list[str]:
    """Fields holding a NUL character; refuses bodies nested deeper than any schema allows
    (iterative, so no input can exhaust the stack)."""
    found: list[str] = []
    stack = [(body, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Problem(400, f"The body is nested more than {MAX_DEPTH} levels deep.", "too_deep")
        if isinstance(value, str):
            if "\x00" in value:
                found.append(path)
        elif isinstance(value, dict):
            for k, v in value.items():
                if "\x00" in k:
                    found.append(path)
                else:
                    stack.append((v, f"{path}.{k}" if path else k, depth + 1))
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value))
    return sorted(set(found))


def validate(schema: str, body) -> None:
    """Refuse (422, every failing field) a body that does not match `schema`."""
    errors = schema_errors(schema, body)
    if errors:
        raise ValidationFailed(errors)
