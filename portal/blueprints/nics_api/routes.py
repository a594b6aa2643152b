"""The NICS API on api.<domain>/v1 (F-22 … F-24): thin handlers over portal.domain.carnets.

Every answer is JSON; every error is an RFC 9457 problem document. Each protected call checks
the bearer token (Authlib), then the per-client rate limit, then the body; POSTs honour an
Idempotency-Key by storing their first successful answer in the same database transaction as
the change.
"""
from __future__ import annotations

import json
from decimal import Decimal
from functools import wraps

from authlib.oauth2.rfc6749.errors import InsecureTransportError
from flask import current_app, g, jsonify, render_template, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portal.blueprints.nics_api import bp, present
from portal.blueprints.nics_api.oauth import authenticate, authorization
from portal.blueprints.nics_api.openapi import document, schema_errors
from portal.db import now_utc
from portal.domain import Conflict, DomainError, idempotency
from portal.domain import carnets as domain
from portal.domain.api_clients import Actor
from portal.domain.carnets import ValidationFailed
from portal.extensions import db, limiter

PROBLEM_BASE = "https://eata.dev/problems/"
TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Not allowed", 404: "Not found",
          409: "Conflict", 413: "Too large", 415: "Unsupported media type",
          422: "Unprocessable content", 429: "Too many requests"}
DEFAULT_MAX_BODY = 2 * 1024 * 1024


class Problem(Exception):
    def __init__(self, status: int, detail: str, code: str | None = None,
                 errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code
        self.errors, self.headers = errors, headers or {}


def problem_response(status: int, detail: str, code: str | None = None,
                     errors: list[dict] | None = None, headers: dict | None = None):
    code = code or {400: "bad_request", 401: "unauthorized", 403: "forbidden",
                    404: "not_found", 409: "conflict", 413: "too_large",
                    415: "unsupported_media_type", 422: "validation",
                    429: "rate_limited"}.get(status, "error")
    body = {"type": PROBLEM_BASE + code, "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail, "code": code}
    if errors is not None:
        body["errors"] = errors
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


@bp.errorhandler(Problem)
def _problem(error: Problem):
    return problem_response(error.status, error.detail, error.code, error.errors, error.headers)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    db.session.rollback()
    errors = getattr(error, "errors", None)
    if errors is None and error.status == 422 and error.field:
        errors = [{"field": error.field, "message": error.message}]
    return problem_response(error.status, error.message, error.code, errors)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if error.code == 429:
        return problem_response(429, "Too many requests from this client. Please slow down.")
    if isinstance(error, RequestEntityTooLarge):
        return problem_response(413, f"The body is larger than {_max_body()} bytes.")
    return problem_response(error.code or 500, error.description or "Error")


def _max_body() -> int:
    return int(current_app.config.get("NICS_MAX_BODY", DEFAULT_MAX_BODY))


@bp.before_request
def _limit_body():
    request.max_content_length = _max_body()


def _client_key() -> str:
    client = getattr(g, "api_client", None)
    return f"api_client:{client.id}" if client is not None else f"ip:{request.remote_addr}"


def _client_rate() -> str:
    return current_app.config.get("NICS_RATE_LIMIT", "600/minute;20000/hour")


def _token_rate() -> str:
    return current_app.config.get("NICS_TOKEN_RATE_LIMIT", "30/minute")


def api(rule: str, method: str, scope: str):
    """Register a protected endpoint: bearer token with `scope`, then the client's rate limit."""

    def decorator(view):
        limited = limiter.limit(_client_rate, key_func=_client_key)(view)

        @wraps(view)
        def wrapped(**kwargs):
            client, error = authenticate(scope)
            if error is not None:
                status = error.status_code or 401
                detail = {
                    "missing_authorization": "Send an access token: Authorization: Bearer <token>.",
                    "insufficient_scope": f"This access token does not carry the scope {scope}.",
                }.get(error.error, "The access token is invalid, expired or revoked.")
                raise Problem(status, detail, error.error,
                              headers={"WWW-Authenticate": 'Bearer realm="eata"'})
            if client.owner_kind != "nga" or client.nga is None:
                raise Problem(403, "This API is for the systems of NGAs and issuing associations.")
            g.nga = client.nga
            g.actor = Actor.of_client(client, request.remote_addr)
            return limited(**kwargs)

        bp.add_url_rule(rule, view.__name__, wrapped, methods=[method])
        return wrapped

    return decorator


def _today():
    return now_utc().date()


# --- request bodies and idempotency --------------------------------------------------------

def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


def json_body():
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise Problem(415, "Send the body as JSON with Content-Type: application/json.")
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise Problem(400, f"The body is not valid JSON: {exc}".rstrip(".") + ".",
                      "malformed_json") from None


def _validate(schema: str, body) -> None:
    errors = schema_errors(schema, body)
    if errors:
        raise ValidationFailed(errors)


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= idempotency.MAX_KEY_LENGTH or not all(
            33 <= ord(c) <= 126 for c in key):
        raise Problem(400, "The Idempotency-Key must be 1 to 255 visible ASCII characters.",
                      "bad_idempotency_key")
    return key


def write(handler):
    """Run a POST handler once per Idempotency-Key; `handler(body) -> (status, payload,
    headers)`. Only successful answers are remembered: a refused request changed nothing, so
    it may be corrected and sent again with the same key."""
    key = _idempotency_key()
    body = json_body()
    client = g.api_client
    fingerprint = idempotency.fingerprint(request.method, request.path, body) if key else ""
    if key:
        replay = idempotency.find_replay(db.session, client.id, key, fingerprint)
        if replay is not None:
            status, payload = replay
            resp = jsonify(payload)
            resp.status_code = status
            resp.headers["Idempotent-Replayed"] = "true"
            return resp
    status, payload, headers = handler(body)
    if key:
        idempotency.remember(db.session, client.id, key, fingerprint, status, payload)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if key:
            replay = idempotency.find_replay(db.session, client.id, key, fingerprint)
            if replay is not None:
                resp = jsonify(replay[1])
                resp.status_code = replay[0]
                resp.headers["Idempotent-Replayed"] = "true"
                return resp
        raise Conflict("The request collided with a concurrent change (for instance the same "
                       "carnet number sent twice at once). Read the carnet, then retry.") from None
    resp = jsonify(payload)
    resp.status_code = status
    resp.headers.update(headers)
    return resp


def _carnet(eata_id: int, for_update: bool = False):
    if eata_id > 2_147_483_647:
        raise Problem(404, f"No carnet with eATA ID {eata_id}.")
    return domain.get_for_nga(db.session, g.nga.id, eata_id, for_update=for_update)


def _page_args() -> tuple[int, int]:
    errors = []
    values = {}
    for name, default, high in (("page", 1, 1_000_000), ("per_page", 50, 200)):
        raw = request.args.get(name)
        if raw is None:
            values[name] = default
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            values[name] = default
            errors.append({"field": name, "message": "Must be a whole number."})
            continue
        if not 1 <= values[name] <= high:
            errors.append({"field": name, "message": f"Must be between 1 and {high}."})
    if errors:
        raise ValidationFailed(errors)
    return values["page"], values["per_page"]


def _issued(carnet, pin: str):
    payload = {"eata_id": carnet.eata_id, "pin": pin,
               "carnet": present.full(carnet, _today())}
    return 201, payload, {"Location": f"/v1/carnets/{carnet.eata_id}"}


# --- the contract and the token endpoint ---------------------------------------------------

@bp.get("/v1/openapi.json")
def openapi_json():
    return jsonify(document(_today()))


@bp.get("/v1/docs")
def docs():
    return render_template("nics_api/docs.html", doc=document(_today()))


@bp.post("/v1/oauth/token")
@limiter.limit(_token_rate)
def token():
    try:
        return authorization.create_token_response()
    except InsecureTransportError:
        raise Problem(400, "Request tokens over HTTPS.", "insecure_transport") from None


# --- carnets -------------------------------------------------------------------------------

@api("/v1/carnets", "POST", "carnets:write")
def issue_carnet():
    def handle(body):
        _validate_carnet(body)
        carnet, pin = domain.issue_carnet(db.session, g.nga, body, g.actor, today=_today(),
                                          checked=True)
        return _issued(carnet, pin)

    return write(handle)


def _validate_carnet(body, original=None) -> None:
    """Shape errors and meaning errors together, one entry per failing field."""
    errors = schema_errors("CarnetInput", body)
    if isinstance(body, dict):
        seen = {e["field"] for e in errors}
        errors += [e for e in domain.check_carnet_input(db.session, g.nga, body, _today(),
                                                         original) if e["field"] not in seen]
    if errors:
        raise ValidationFailed(errors)


@api("/v1/carnets", "GET", "carnets:read")
def list_carnets():
    page, per_page = _page_args()
    status = request.args.get("status")
    if status is not None and status not in domain.STATUS_LABELS:
        raise ValidationFailed([{"field": "status", "message": "Must be one of: "
                                 + ", ".join(domain.STATUS_LABELS) + "."}])
    today = _today()
    rows, total = domain.list_for_nga(db.session, g.nga.id, page=page, per_page=per_page,
                                      status=status, today=today)
    return jsonify({"items": [present.summary(c, today) for c in rows], "page": page,
                    "per_page": per_page, "total": total})


@api("/v1/carnets/by-number/<string:carnet_number>", "GET", "carnets:read")
def carnet_by_number(carnet_number: str):
    carnet = domain.find_by_number(db.session, g.nga.id, carnet_number)
    return jsonify(present.full(carnet, _today()))


@api("/v1/carnets/<int:eata_id>", "GET", "carnets:read")
def read_carnet(eata_id: int):
    return jsonify(present.full(_carnet(eata_id), _today()))


@api("/v1/carnets/<int:eata_id>/sets", "POST", "carnets:write")
def add_sets(eata_id: int):
    def handle(body):
        _validate("SetsRequest", body)
        carnet = domain.add_sets(db.session, _carnet(eata_id, True), body["kind"], body["count"],
                                 g.actor, today=_today())
        return 200, present.full(carnet, _today()), {}

    return write(handle)


@api("/v1/carnets/<int:eata_id>/replacement", "POST", "carnets:write")
def replace_carnet(eata_id: int):
    def handle(body):
        original = _carnet(eata_id, True)
        domain.check_allowed(original, "replace", _today())
        _validate_carnet(body, original)
        carnet, pin = domain.issue_replacement(db.session, g.nga, original, body, g.actor,
                                               today=_today(), checked=True)
        return _issued(carnet, pin)

    return write(handle)


def _status_change(eata_id: int, action, schema: str = "ReasonRequest"):
    def handle(body):
        _validate(schema, body)
        carnet = action(db.session, _carnet(eata_id, True), body.get("reason", ""), g.actor,
                        today=_today())
        return 200, present.full(carnet, _today()), {}

    return write(handle)


@api("/v1/carnets/<int:eata_id>/cancel", "POST", "carnets:write")
def cancel_carnet(eata_id: int):
    return _status_change(eata_id, domain.cancel)


@api("/v1/carnets/<int:eata_id>/block", "POST", "carnets:write")
def block_carnet(eata_id: int):
    return _status_change(eata_id, domain.block)


@api("/v1/carnets/<int:eata_id>/unblock", "POST", "carnets:write")
def unblock_carnet(eata_id: int):
    return _status_change(eata_id, domain.unblock)


@api("/v1/carnets/<int:eata_id>/discharge", "POST", "carnets:write")
def discharge_carnet(eata_id: int):
    return _status_change(eata_id, domain.discharge, "DischargeRequest")


@api("/v1/carnets/<int:eata_id>/transactions", "GET", "carnets:read")
def carnet_transactions(eata_id: int):
    carnet = _carnet(eata_id)
    # Filled by the transaction engine: counterfoil-level data only (F-23).
    return jsonify({"eata_id": carnet.eata_id, "items": []})


@api("/v1/carnets/<int:eata_id>/reconciliation", "GET", "carnets:read")
def carnet_reconciliation(eata_id: int):
    carnet = _carnet(eata_id)
    # Filled by reconciliation (F-60): N/A until it runs for this carnet.
    return jsonify({"eata_id": carnet.eata_id, "status": "N/A", "unbalanced": []})


@api("/v1/claims", "GET", "carnets:read")
def list_claims():
    page, per_page = _page_args()
    # Filled by claims (F-67).
    return jsonify({"items": [], "page": page, "per_page": per_page, "total": 0})
