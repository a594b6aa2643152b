"""The NICS API on api.<domain>/v1 (F-22 … F-24): thin handlers over portal.domain.carnets.

The plumbing is portal/api: each operation is `protected` (bearer token with its scope, a
client of an NGA, ids in range, the client's rate limit); POSTs go through `write` (JSON body,
Idempotency-Key); every error is a problem document. Claims are in claims.py.
"""

from __future__ import annotations

import re

from authlib.oauth2.rfc6749.errors import InsecureTransportError
from flask import g, jsonify, render_template, request

from portal.api.auth import protected, token_rate
from portal.api.bodies import validate
from portal.api.idempotent import write
from portal.api.oauth import authorization
from portal.api.openapi import document, schema_errors
from portal.api.openapi.nics import CARNET_NUMBER
from portal.api.paging import page_args
from portal.api.problems import Problem
from portal.blueprints.nics_api import bp, claims_present, present
from portal.db import now_utc
from portal.domain import audit, evidence, signing
from portal.domain import carnets as domain
from portal.domain import reconciliation as rec
from portal.domain.api_clients import Actor
from portal.domain.carnets import ValidationFailed
from portal.domain.info import news
from portal.extensions import db, limiter
from portal.i18n import current_language

CARNET_NUMBER_RE = re.compile(CARNET_NUMBER["pattern"])


def admit_nga(client) -> None:
    """The NICS API serves clients of an NGA (or its issuing associations) only."""
    if client.owner_kind != "nga" or client.nga is None:
        raise Problem(403, "This API is for the systems of NGAs and issuing associations.")
    g.nga = client.nga
    g.actor = Actor.of_client(client, request.remote_addr)


def api(rule: str, method: str, scope: str):
    return protected(bp, rule, method, scope, admit=admit_nga, limit_scope="nics_api")


def _today():
    return now_utc().date()


def _carnet(eata_id: int, for_update: bool = False):
    return domain.get_for_nga(db.session, g.nga.id, eata_id, for_update=for_update)


def _issued(carnet, pin: str):
    payload = {"eata_id": carnet.eata_id, "pin": pin, "carnet": present.full(carnet, _today())}
    return 201, payload, {"Location": f"/v1/carnets/{carnet.eata_id}"}


# --- the contract and the token endpoint ---------------------------------------------------


@bp.get("/v1/openapi.json")
def openapi_json():
    return jsonify(document(_today()))


@bp.get("/v1/receipt-keys")
def receipt_keys():
    """The public keys that sign receipts, statements and audit checkpoints (docs/evidence.md);
    the same document as wallet.<domain>/.well-known/eata-receipt-keys.json. No token needed."""
    return jsonify(signing.keyring().published())


@bp.get("/v1/receipt-revocations")
@limiter.limit("60/minute")
def receipt_revocations():
    """The signed list of cancelled receipts (docs/evidence.md). No token needed."""
    return jsonify(evidence.revocation_list(db.session))


@bp.get("/v1/docs")
def docs():
    return render_template(
        "nics_api/docs.html",
        doc=document(_today()),
        news=news.visible_news(
            db.session, "chambers", language=current_language(), limit=10
        ),  # F-80
    )


@bp.post("/v1/oauth/token")
@limiter.limit(token_rate)
def token():
    try:
        response = authorization.create_token_response()
    except InsecureTransportError:
        raise Problem(400, "Request tokens over HTTPS.", "insecure_transport") from None
    if response.status_code == 401:  # failed attempts are logged (and rate-limited)
        auth = request.authorization
        tried = (
            auth.username
            if auth is not None and auth.username
            else request.form.get("client_id", "")
        )
        audit.record(
            db.session,
            "api_client.auth_failed",
            actor_type="anonymous",
            actor_label=(tried or "")[:64],
            ip=request.remote_addr,
            object_type="api_client",
            object_id=(tried or "")[:40] or None,
        )
        db.session.commit()
    return response


# --- carnets -------------------------------------------------------------------------------


@api("/v1/carnets", "POST", "carnets:write")
def issue_carnet():
    def handle(body):
        _validate_carnet(body)
        carnet, pin = domain.issue_carnet(
            db.session, g.nga, body, g.actor, today=_today(), checked=True
        )
        return _issued(carnet, pin)

    return write(handle)


def _validate_carnet(body, original=None) -> None:
    """Shape errors and meaning errors together, one entry per failing field (the business
    checks skip what has the wrong JSON type: the schema reports it)."""
    errors = schema_errors("CarnetInput", body)
    if isinstance(body, dict):
        seen = {e["field"] for e in errors}
        errors += [
            e
            for e in domain.check_carnet_input(db.session, g.nga, body, _today(), original)
            if e["field"] not in seen
        ]
    if errors:
        raise ValidationFailed(errors)


@api("/v1/carnets", "GET", "carnets:read")
def list_carnets():
    page, per_page = page_args()
    status = request.args.get("status")
    if status is not None and status not in domain.STATUS_LABELS:
        raise ValidationFailed(
            [
                {
                    "field": "status",
                    "message": "Must be one of: " + ", ".join(domain.STATUS_LABELS) + ".",
                }
            ]
        )
    today = _today()
    rows, total = domain.list_for_nga(
        db.session, g.nga.id, page=page, per_page=per_page, status=status, today=today
    )
    return jsonify(
        {
            "items": [present.summary(c, today) for c in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
        }
    )


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
        validate("SetsRequest", body)
        carnet = domain.add_sets(
            db.session, _carnet(eata_id, True), body["kind"], body["count"], g.actor, today=_today()
        )
        return 200, present.full(carnet, _today()), {}

    return write(handle)


@api("/v1/carnets/<int:eata_id>/replacement", "POST", "carnets:write")
def replace_carnet(eata_id: int):
    def handle(body):
        original = _carnet(eata_id, True)
        domain.check_allowed(original, "replace", _today(), db.session)
        _validate_carnet(body, original)
        carnet, pin = domain.issue_replacement(
            db.session, g.nga, original, body, g.actor, today=_today(), checked=True
        )
        return _issued(carnet, pin)

    return write(handle)


def _status_change(eata_id: int, action, schema: str = "ReasonRequest"):
    def handle(body):
        validate(schema, body)
        carnet = action(
            db.session, _carnet(eata_id, True), body.get("reason", ""), g.actor, today=_today()
        )
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
    """The counterfoils of the carnet (F-23, F-74): every transaction, cancelled ones too."""
    page, per_page = page_args()
    carnet = _carnet(eata_id)
    history = domain.transaction_history(db.session, carnet.id, page, per_page)
    return jsonify(
        {
            "eata_id": carnet.eata_id,
            "items": [present.history_item(t) for t in history.items],
            "page": page,
            "per_page": per_page,
            "total": history.total,
        }
    )


@api("/v1/carnets/<int:eata_id>/reconciliation", "GET", "carnets:read")
def carnet_reconciliation(eata_id: int):
    carnet = _carnet(eata_id)
    return jsonify(
        claims_present.reconciliation(
            carnet,
            rec.overall_status(db.session, carnet, _today()),
            rec.lines_for(db.session, carnet.id),
            claims_present.territory_codes(db.session),
        )
    )


from portal.blueprints.nics_api import claims, transition  # noqa: E402,F401
