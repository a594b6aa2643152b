"""The customs integration API (F-49): look up a voucher, commit, reject, hold, release, cancel.

The same conventions as the NICS API (portal/blueprints/nics_api): OAuth 2.0 client credentials
(the token endpoint is /v1/oauth/token), RFC 9457 problem documents, an Idempotency-Key on every
POST, bodies checked against the schemas of the served OpenAPI document. A client belongs to one
customs administration and acts only from its offices: another administration's office, hold or
transaction is a 404. Writes that concern a voucher carry the carnet and the transaction code
again (a voucher id alone proves nothing); wrong codes are counted per client (R-10).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import g, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from portal.blueprints.customs_api import bp
from portal.blueprints.nics_api.oauth import authenticate
from portal.blueprints.nics_api.openapi import schema_errors
from portal.blueprints.nics_api.routes import (
    Problem,
    _client_key,
    _client_rate,
    _count_failed_auth,
    _domain_error,
    _http_error,
    _problem,
    json_body,
    problem_response,
    write,
)
from portal.domain import DomainError
from portal.domain import carnets as carnet_domain
from portal.domain import transactions as engine
from portal.domain import vouchers as voucher_domain
from portal.domain.carnets import ValidationFailed
from portal.domain.rules import label
from portal.domain.visibility import history_for_territory
from portal.extensions import db, limiter
from portal.models import Carnet, CustomsAdministration, Hold, Office, Transaction, Travel

bp.register_error_handler(Problem, _problem)


@bp.errorhandler(DomainError)
def _refused(error: DomainError):
    """The engine's refusals: a 422 for what the request got wrong (the field named), else the
    engine's own status (404, 403, 409, 429)."""
    if error.status == 400:
        db.session.rollback()
        errors = getattr(error, "errors", None)
        if errors is None and error.field:
            errors = [{"field": error.field, "message": error.message}]
        return problem_response(422, error.message, error.code, errors)
    return _domain_error(error)

bp.register_error_handler(HTTPException, _http_error)


@dataclass(frozen=True)
class ApiAccount:
    """Who acts through the API, in the engine's terms: the client on behalf of the officer it
    names (the engine stores the name; there is no portal account behind it)."""

    customs_id: int
    full_name: str
    email: str
    id: int | None = None
    active: bool = True


def customs_api(rule: str, method: str, scope: str):
    def decorator(view):
        limited = limiter.shared_limit(_client_rate, scope="customs_api",
                                       key_func=_client_key)(view)

        @wraps(view)
        def wrapped(**kwargs):
            client, error = authenticate(scope)
            if error is not None:
                _count_failed_auth()
                detail = {
                    "missing_authorization": "Send an access token: Authorization: Bearer <token>.",
                    "insufficient_scope": f"This access token does not carry the scope {scope}.",
                }.get(error.error, "The access token is invalid, expired or revoked.")
                raise Problem(error.status_code or 401, detail, error.error,
                              headers={"WWW-Authenticate": 'Bearer realm="eata"'})
            if client.owner_kind != "customs" or client.customs_id is None:
                raise Problem(403, "This API is for the systems of customs administrations.")
            admin = db.session.get(CustomsAdministration, client.customs_id)
            if admin is None or not admin.active:
                raise Problem(403, "This customs administration is not active.")
            g.customs = admin
            return limited(**kwargs)

        bp.add_url_rule(rule, view.__name__, wrapped, methods=[method])
        return wrapped

    return decorator


def _validate(schema: str, body) -> None:
    errors = schema_errors(schema, body)
    if errors:
        raise ValidationFailed(errors)


def _officer(body: dict) -> engine.Officer:
    office = db.session.get(Office, body["office_id"]) if body["office_id"] <= 2**31 else None
    if office is None or office.customs_id != g.customs.id:
        raise Problem(404, "No such office of your administration.", "office_not_found")
    client = g.api_client
    name = (body.get("officer") or "").strip()
    account = ApiAccount(customs_id=g.customs.id, email=client.client_id,
                         full_name=(f"{name} (via {client.name})" if name else client.name)[:200])
    return engine.Officer(account=account, office=office, ip=request.remote_addr)


def _voucher(body: dict):
    if "qr" in body:
        eata_id, code = voucher_domain.parse_qr_payload(body["qr"])
        ref = str(eata_id)
    elif "carnet" in body and "code" in body:
        ref, code = body["carnet"], body["code"]
    else:
        raise ValidationFailed([{"field": "code", "message": "Send carnet and code, or qr."}])
    return voucher_domain.lookup_voucher(
        db.session, ref, code, client_key=f"api_client:{g.api_client.id}",
        customs_id=g.customs.id, ip=request.remote_addr)


def _voucher_json(voucher) -> dict:
    carnet = db.session.get(Carnet, voucher.carnet_id)
    travel = db.session.get(Travel, voucher.travel_id)
    by_id = {i.id: i for i in carnet.items}
    if voucher.kind == "validation":
        lines = [(i, i.pieces) for i in carnet.items]
    else:
        lines = [(by_id[t.goods_item_id], t.quantity) for t in travel.items]
    territory = g.customs.territory_id
    holder = carnet_domain.holder_of(carnet)
    return {
        "kind": voucher.kind, "kind_label": label(voucher.kind), "state": voucher.state,
        "country": voucher.country_code,
        "travel": {"departure": travel.departure_country,
                   "destination": travel.destination_country,
                   "transport_mode": travel.transport_mode},
        "carnet": {
            "eata_id": carnet.eata_id, "carnet_number": carnet.carnet_number,
            "carnet_type": carnet.carnet_type, "holder": holder.get("name", ""),
            "issue_date": carnet.issue_date.isoformat(),
            "valid_until": carnet.valid_until.isoformat(),
            "status": carnet.effective_status(voucher.created_at.date()),
            "intended_use": carnet.intended_use, "item_count": carnet.item_count,
            "total_value": str(carnet.total_value), "currency": carnet.currency,
            "countries": sorted(c.country_code for c in carnet.countries)},
        "goods": [{"item_no": i.item_no, "quantity": q, "pieces": i.pieces,
                   "description": carnet_domain.item_description(carnet, i),
                   "marks": carnet_domain.item_marks(carnet, i)}
                  for i, q in sorted(lines, key=lambda x: x[0].item_no)],
        "history": [{"kind": t.kind, "state": t.state, "country": t.country_code,
                     "committed_at": t.committed_at.isoformat() + "Z"}
                    for t in history_for_territory(db.session, carnet.id, territory)],
        "on_hold": [{"hold_id": h.id, "office": h.office_name, "reason": h.reason}
                    for h in engine.holds_of(db.session, territory_id=territory)
                    if h.carnet_id == carnet.id and h.customs_id == g.customs.id],
    }


def _hold_json(h: Hold) -> dict:
    return {"hold_id": h.id, "office_id": h.office_id, "office": h.office_name,
            "held_by": h.held_by, "held_at": h.held_at.isoformat() + "Z", "reason": h.reason,
            "released_at": h.released_at.isoformat() + "Z" if h.released_at else None,
            "released_by": h.released_by or None}


# --- operations ------------------------------------------------------------------------------

@customs_api("/v1/customs/vouchers/lookup", "POST", "customs:read")
def customs_lookup():
    body = json_body()
    _validate("CustomsLookupRequest", body)
    voucher = _voucher(body)
    return jsonify(_voucher_json(voucher))


@customs_api("/v1/customs/vouchers/commit", "POST", "customs:write")
def customs_commit():
    def handle(body):
        _validate("CustomsCommitRequest", body)
        officer = _officer(body)
        voucher = _voucher(body)
        key = request.headers.get("Idempotency-Key")
        result = engine.commit_voucher(
            db.session, voucher.id, officer, fields=body.get("fields") or {},
            step=body.get("step"),
            commit_token=f"api:{g.api_client.id}:{key}" if key else None)
        return 201, {"transaction_id": result.transaction_id, "kind": result.kind,
                     "transaction_ids": list(result.transaction_ids),
                     "verification_code": result.verification_code,
                     "receipt": f"/transactions/{result.transaction_id}/receipt"}, {}
    return write(handle)


@customs_api("/v1/customs/vouchers/reject", "POST", "customs:write")
def customs_reject():
    def handle(body):
        _validate("CustomsReasonRequest", body)
        officer = _officer(body)
        voucher = _voucher(body)
        rejection = engine.reject_voucher(db.session, voucher.id, officer, body["reason"])
        db.session.flush()
        return 201, {"rejection_id": rejection.id, "kind": voucher.kind}, {}
    return write(handle)


@customs_api("/v1/customs/vouchers/hold", "POST", "customs:write")
def customs_hold():
    def handle(body):
        _validate("CustomsReasonRequest", body)
        officer = _officer(body)
        voucher = _voucher(body)
        hold = engine.hold_carnet(db.session, voucher.id, officer, body["reason"])
        return 201, _hold_json(hold), {}
    return write(handle)


@customs_api("/v1/customs/holds", "GET", "customs:read")
def customs_holds():
    rows = db.session.scalars(select(Hold).where(
        Hold.customs_id == g.customs.id, Hold.released_at.is_(None))
        .order_by(Hold.held_at.desc())).all()
    return jsonify({"holds": [_hold_json(h) for h in rows]})


def _own(model, object_id: int, what: str):
    obj = db.session.get(model, object_id) if object_id <= 2**31 else None
    if obj is None or obj.customs_id != g.customs.id:
        raise Problem(404, f"No such {what} of your administration.")
    return obj


@customs_api("/v1/customs/holds/<int:hold_id>/release", "POST", "customs:write")
def customs_release(hold_id: int):
    def handle(body):
        _validate("CustomsOfficeRequest", body)
        hold = _own(Hold, hold_id, "hold")
        hold = engine.release_hold(db.session, hold.id, _officer(body))
        return 200, _hold_json(hold), {}
    return write(handle)


@customs_api("/v1/customs/transactions/<int:transaction_id>/cancel", "POST", "customs:write")
def customs_cancel(transaction_id: int):
    def handle(body):
        _validate("CustomsCancelRequest", body)
        txn = _own(Transaction, transaction_id, "transaction")
        engine.cancel_transaction(db.session, txn.id, _officer(body), body["cancellation_code"],
                                  body["reason"], client_key=f"api_client:{g.api_client.id}")
        return 200, {"transaction_id": txn.id, "kind": txn.kind, "state": "cancelled"}, {}
    return write(handle)
