"""The NICS API on api.<domain>/v1 (F-22 … F-24): thin handlers over portal.domain.carnets.

Every answer is JSON; every error is an RFC 9457 problem document. Each protected call checks
the bearer token (Authlib), then the per-client rate limit, then the body; POSTs honour an
Idempotency-Key by storing their first successful answer in the same database transaction as
the change.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import wraps

from authlib.oauth2.rfc6749.errors import InsecureTransportError
from flask import current_app, g, jsonify, render_template, request
from limits import parse
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portal.blueprints.nics_api import bp, claims_present, present
from portal.blueprints.nics_api.oauth import authenticate, authorization
from portal.blueprints.nics_api.openapi import CARNET_NUMBER, document, schema_errors
from portal.db import now_utc
from portal.domain import Conflict, DomainError, audit, idempotency
from portal.domain import carnets as domain
from portal.domain.api_clients import Actor
from portal.domain.carnets import ValidationFailed
from portal.extensions import db, limiter

PROBLEM_BASE = "https://eata.dev/problems/"
TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Not allowed", 404: "Not found",
          409: "Conflict", 413: "Too large", 415: "Unsupported media type",
          422: "Unprocessable content", 429: "Too many requests"}
DEFAULT_MAX_BODY = 2 * 1024 * 1024
CARNET_NUMBER_RE = re.compile(CARNET_NUMBER["pattern"])


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
        # one budget per client across every endpoint of this API
        limited = limiter.shared_limit(_client_rate, scope="nics_api", key_func=_client_key)(view)

        @wraps(view)
        def wrapped(**kwargs):
            client, error = authenticate(scope)
            if error is not None:
                _count_failed_auth()
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


def _count_failed_auth() -> None:
    """R-10: calls with a wrong or expired token are limited per address, so tokens cannot be
    guessed at the speed of the server."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    rate = parse(current_app.config.get("NICS_BAD_TOKEN_RATE_LIMIT", "120/minute"))
    if not limiter.limiter.hit(rate, "nics_bad_token", request.remote_addr or "?"):
        raise Problem(429, "Too many requests with an invalid token from this address.")


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
        body = json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise Problem(400, f"The body is not valid JSON: {exc}".rstrip(".") + ".",
                      "malformed_json") from None
    nul = _scan(body)
    if nul:  # PostgreSQL text cannot hold NUL, and no carnet field needs it
        raise ValidationFailed([{"field": f or "body", "message": "Must not contain NUL characters."}
                                for f in nul])
    return body


MAX_DEPTH = 20


def _scan(body) -> list[str]:
    """Fields holding a NUL character; refuses bodies nested deeper than any schema allows
    (iterative, so no input can exhaust the stack)."""
    found: list[str] = []
    stack = [(body, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Problem(400, f"The body is nested more than {MAX_DEPTH} levels deep.",
                          "too_deep")
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

    def replayed():
        """The first answer to this key, if one is stored (None otherwise)."""
        if not key:
            return None
        replay = idempotency.find_replay(db.session, client.id, key, fingerprint)
        if replay is None:
            return None
        resp = jsonify(replay[1])
        resp.status_code = replay[0]
        resp.headers["Idempotent-Replayed"] = "true"
        return resp

    if (resp := replayed()) is not None:
        return resp
    try:
        status, payload, headers = handler(body)  # flushes: a unique clash may surface here
        if key:
            idempotency.remember(db.session, client.id, key, fingerprint, status, payload)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if (resp := replayed()) is not None:
            return resp
        raise Conflict("The request collided with a concurrent change (for instance the same "
                       "carnet number sent twice at once). Read the carnet, then retry.") from None
    except DomainError:
        # a refusal may come from a twin request with the same key that committed while this
        # one was validating (e.g. "carnet number already exists"): answer with its result
        db.session.rollback()
        if (resp := replayed()) is not None:
            return resp
        raise
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
        response = authorization.create_token_response()
    except InsecureTransportError:
        raise Problem(400, "Request tokens over HTTPS.", "insecure_transport") from None
    if response.status_code == 401:  # failed attempts are logged (and rate-limited)
        auth = request.authorization
        tried = (auth.username if auth is not None and auth.username
                 else request.form.get("client_id", ""))
        audit.record(db.session, "api_client.auth_failed", actor_type="anonymous",
                     actor_label=(tried or "")[:64], ip=request.remote_addr,
                     object_type="api_client", object_id=(tried or "")[:40] or None)
        db.session.commit()
    return response


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
    if not CARNET_NUMBER_RE.match(carnet_number):
        raise Problem(404, f"No carnet numbered {carnet_number[:40]!r}.")
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
    from portal.domain import reconciliation as rec

    carnet = _carnet(eata_id)
    return jsonify(claims_present.reconciliation(
        carnet, rec.overall_status(db.session, carnet, _today()),
        rec.lines_for(db.session, carnet.id), claims_present.territory_codes(db.session)))


@api("/v1/claims", "GET", "carnets:read")
def list_claims():
    from portal.domain import claims as claim_domain

    page, per_page = _page_args()
    rows, total = claim_domain.for_nga(db.session, g.nga.id, page, per_page)
    return jsonify({"items": [claims_present.claim(db.session, c, _claim_limits(), _today())
                              for c in rows],
                    "page": page, "per_page": per_page, "total": total})


def _claim_limits():
    from portal.domain import claims as claim_domain

    return claim_domain.Limits.from_config(current_app.config)


def _audit_claim(action: str, claim) -> None:
    a = g.actor
    audit.record(db.session, action, actor_type=a.type, actor_id=a.id, actor_label=a.label,
                 ip=a.ip, customs_id=claim.customs_id, object_type="claim", object_id=claim.id)


def _claim(claim_id: int):
    from portal.domain import NotFound
    from portal.domain import claims as claim_domain

    if claim_id > 2_147_483_647:
        raise Problem(404, f"No claim {claim_id} concerning your NGA.")
    try:
        return claim_domain.get_for_nga(db.session, g.nga.id, claim_id)
    except NotFound:
        raise Problem(404, f"No claim {claim_id} concerning your NGA.") from None


@api("/v1/claims/<int:claim_id>", "GET", "carnets:read")
def get_claim(claim_id: int):
    return jsonify(claims_present.claim(db.session, _claim(claim_id), _claim_limits(), _today(),
                                        detail=True))


@api("/v1/claims/<int:claim_id>/answer", "POST", "carnets:write")
def answer_claim(claim_id: int):
    from portal.domain import claims as claim_domain

    def handle(body):
        _validate("ClaimAnswer", body)
        claim = _claim(claim_id)
        claim_domain.answer(db.session, claim, nga_name=g.nga.name, text=body.get("text", ""),
                            transaction_ids=body.get("transaction_ids") or [])
        _audit_claim("claim.answered", claim)
        return 200, claims_present.claim(db.session, claim, _claim_limits(), _today(),
                                         detail=True), {}

    return write(handle)


@api("/v1/claims/<int:claim_id>/evidence", "POST", "carnets:write")
def claim_evidence(claim_id: int):
    """Upload one document or certificate of location as the raw body (PDF, PNG or JPEG)."""
    from portal.domain import claims as claim_domain

    limits = _claim_limits()
    request.max_content_length = limits.evidence_max_bytes + 1
    kind = request.args.get("kind", "document")
    filename = request.args.get("filename", "evidence")[:200]
    claim = _claim(claim_id)
    data = request.get_data(cache=False)
    if len(data) > limits.evidence_max_bytes:
        raise Problem(413, f"The file is larger than {limits.evidence_max_bytes} bytes.")
    if (request.mimetype or "") not in claim_domain.EVIDENCE_TYPES:
        raise Problem(415, "Send a PDF, PNG or JPEG file as the body, with its Content-Type.")
    try:
        claim_domain.add_evidence(db.session, claim, kind=kind, filename=filename,
                                  content_type=request.mimetype, data=data,
                                  storage_dir=current_app.config["STORAGE_DIR"], limits=limits,
                                  nga_name=g.nga.name)
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 409:
            raise Problem(409, exc.message) from None
        raise Problem(422, exc.message, errors=[{"field": exc.field or "body",
                                                  "message": exc.message}]) from None
    _audit_claim("claim.evidence", claim)
    db.session.commit()
    resp = jsonify(claims_present.claim(db.session, claim, limits, _today(), detail=True))
    resp.status_code = 201
    return resp
