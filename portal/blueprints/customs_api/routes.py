"""The customs integration API (F-49): look up a voucher, commit, reject, hold, release, cancel,
read a carnet's history and a transaction's receipt.

The plumbing is portal/api (bearer tokens, problem documents, Idempotency-Key, bodies checked
against the schemas of the served OpenAPI document). A client belongs to one customs
administration and acts only from its offices: another administration's office, hold or
transaction is a 404 (portal.tenancy.get_for_tenant_or_404, with the client's administration
as the tenant). Writes that concern a voucher carry the carnet and the transaction code again,
or the QR (a voucher id alone proves nothing); wrong codes and forged QR payloads are counted
per client and per carnet (R-10).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import g, jsonify, request
from werkzeug.exceptions import NotFound as HttpNotFound

from portal.api.auth import protected
from portal.api.bodies import json_body, validate
from portal.api.idempotent import write
from portal.api.paging import page_args
from portal.api.present import history_item
from portal.api.problems import Problem
from portal.blueprints.customs_api import bp, present
from portal.db import now_utc
from portal.domain import DomainError, archive, predeclarations, receipts, transition
from portal.domain import transactions as engine
from portal.domain import vouchers as voucher_domain
from portal.domain.carnets import ValidationFailed
from portal.domain.paging import paginate
from portal.extensions import db
from portal.models import Carnet, Hold, Office, Predeclaration, Transaction
from portal.tenancy import get_for_tenant_or_404, site_url, tenant_by_id, tenant_select
from portal.web import bounded_int


@dataclass(frozen=True)
class ApiAccount:
    """Who acts through the API, in the engine's terms: the client on behalf of the officer it
    names (the engine stores the name; there is no portal account behind it)."""

    customs_id: int
    full_name: str
    email: str
    id: int | None = None
    active: bool = True


def admit_customs(client) -> None:
    """The customs API serves clients of an active customs administration, which becomes the
    request's tenant."""
    if client.owner_kind != "customs" or client.customs_id is None:
        raise Problem(403, "This API is for the systems of customs administrations.")
    admin = tenant_by_id(db.session, client.customs_id)  # active ones only, cached
    if admin is None:
        raise Problem(403, "This customs administration is not active.")
    g.customs = g.tenant = admin


def customs_api(rule: str, method: str, scope: str):
    return protected(bp, rule, method, scope, admit=admit_customs, limit_scope="customs_api")


def _own(model, object_id: int, what: str):
    """An object of the client's administration, or a 404 problem."""
    try:
        return get_for_tenant_or_404(model, object_id)
    except HttpNotFound:
        raise Problem(404, f"No such {what} of your administration.", f"{what}_not_found") from None


def _own_transaction(transaction_id: int) -> Transaction:
    """A transaction of the client's administration: live, else an archived carnet's
    (portal/domain/archive.py: its receipt stays readable, its cancellation is refused)."""
    try:
        return get_for_tenant_or_404(Transaction, transaction_id)
    except HttpNotFound:
        return _own(archive.ARCHIVE.txn, transaction_id, "transaction")


def _officer(body: dict) -> engine.Officer:
    office = _own(Office, body["office_id"], "office")
    client = g.api_client
    name = (body.get("officer") or "").strip()
    account = ApiAccount(
        customs_id=g.customs.id,
        email=client.client_id,
        full_name=(f"{name} (via {client.name})" if name else client.name)[:200],
    )
    return engine.Officer(account=account, office=office, ip=request.remote_addr)


def _voucher(body: dict):
    """The voucher named by carnet + code, or by the QR payload; failures count (R-10)."""
    who = {
        "client_key": f"api_client:{g.api_client.id}",
        "customs_id": g.customs.id,
        "ip": request.remote_addr,
    }
    if "qr" in body:
        return voucher_domain.lookup_by_qr(db.session, body["qr"], **who)
    if "carnet" in body and "code" in body:
        return voucher_domain.lookup_voucher(db.session, body["carnet"], body["code"], **who)
    raise ValidationFailed([{"field": "code", "message": "Send carnet and code, or qr."}])


def _receipt_url(transaction_id: int) -> str:
    return site_url("api", path=f"/v1/customs/transactions/{transaction_id}/receipt")


# --- operations ------------------------------------------------------------------------------


@customs_api("/v1/customs/vouchers/lookup", "POST", "customs:read")
def customs_lookup():
    body = json_body()
    validate("CustomsLookupRequest", body)
    return jsonify(present.voucher(db.session, _voucher(body), g.customs))


@customs_api("/v1/customs/carnets/<int:eata_id>/history", "GET", "customs:read")
def customs_history(eata_id: int):
    """A carnet's transactions as the client's territory may see them (R-04), paged."""
    page, per_page = page_args()
    carnet = voucher_domain.find_carnet(db.session, eata_id)
    if carnet is None:
        raise Problem(404, f"No carnet with eATA ID {eata_id}.", "carnet_not_found")
    rows = present.territory_history(db.session, carnet, g.customs)
    start = (page - 1) * per_page
    return jsonify(
        {
            "eata_id": carnet.eata_id,
            "carnet_number": carnet.carnet_number,
            "items": [history_item(t) for t in rows[start : start + per_page]],
            "page": page,
            "per_page": per_page,
            "total": len(rows),
        }
    )


def _commit_token() -> str | None:
    """The engine's commit token of an API commit: the client's Idempotency-Key (R-11)."""
    key = request.headers.get("Idempotency-Key")
    return f"api:{g.api_client.id}:{key}" if key else None


def _committed(result: engine.CommitResult) -> tuple[int, dict, dict]:
    """The 201 answer of a commit, from the wizard's voucher or a pre-declaration."""
    return (
        201,
        {
            "transaction_id": result.transaction_id,
            "kind": result.kind,
            "transaction_ids": list(result.transaction_ids),
            "verification_code": result.verification_code,
            "receipt": _receipt_url(result.transaction_id),
        },
        {},
    )


@customs_api("/v1/customs/vouchers/commit", "POST", "customs:write")
def customs_commit():
    def handle(body):
        validate("CustomsCommitRequest", body)
        officer = _officer(body)
        voucher = _voucher(body)
        # the voucher's open pre-declaration, if any, is closed with the commit
        result = predeclarations.commit_closing_open(
            db.session,
            voucher.id,
            officer,
            fields=body.get("fields") or {},
            step=body.get("step"),
            commit_token=_commit_token(),
        )
        return _committed(result)

    return write(handle)


@customs_api("/v1/customs/vouchers/reject", "POST", "customs:write")
def customs_reject():
    def handle(body):
        validate("CustomsReasonRequest", body)
        officer = _officer(body)
        voucher = _voucher(body)
        rejection = engine.reject_voucher(db.session, voucher.id, officer, body["reason"])
        db.session.flush()
        return 201, {"rejection_id": rejection.id, "kind": voucher.kind}, {}

    return write(handle)


@customs_api("/v1/customs/vouchers/hold", "POST", "customs:write")
def customs_hold():
    def handle(body):
        validate("CustomsHoldRequest", body)
        officer = _officer(body)
        voucher = _voucher(body)
        hold = engine.hold_carnet(
            db.session, voucher.id, officer, body["reason"], reference=body.get("reference", "")
        )
        return 201, present.hold(hold), {}

    return write(handle)


@customs_api("/v1/customs/paper-transactions", "POST", "customs:write")
def customs_record_paper():
    """A transaction made on the paper carnet, recorded by a digital office (F-72): the API's
    twin of the desk's "Record a paper transaction" at step 2."""

    def handle(body):
        validate("CustomsPaperRequest", body)
        officer = _officer(body)
        voucher = _voucher(body)
        data = transition.PaperInput.from_api(body)
        # locked, like the chamber's recording: one paper validation per carnet
        carnet = db.session.get(Carnet, voucher.carnet_id, with_for_update=True)
        try:
            row = transition.record_paper_transaction(
                db.session,
                carnet,
                data,
                place=engine.place_of(db.session, officer),
                recorded_by=officer.account.full_name,
                actor_type="api_client",
                ip=request.remote_addr,
                today=now_utc().date(),
            )
        except DomainError as exc:
            if exc.status == 400:  # every refused field, named as in the API's body
                raise ValidationFailed(transition.api_field_errors(exc)) from None
            raise
        return 201, present.paper_transaction(row, carnet), {}

    return write(handle)


@customs_api("/v1/customs/holds", "GET", "customs:read")
def customs_holds():
    rows = db.session.scalars(
        tenant_select(Hold).where(Hold.released_at.is_(None)).order_by(Hold.held_at.desc())
    )
    return jsonify({"holds": [present.hold(h) for h in rows]})


@customs_api("/v1/customs/holds/<int:hold_id>/release", "POST", "customs:write")
def customs_release(hold_id: int):
    def handle(body):
        validate("CustomsOfficeRequest", body)
        hold = _own(Hold, hold_id, "hold")
        hold = engine.release_hold(db.session, hold.id, _officer(body))
        return 200, present.hold(hold), {}

    return write(handle)


@customs_api("/v1/customs/transactions/<int:transaction_id>/receipt", "GET", "customs:read")
def customs_receipt(transaction_id: int):
    """The receipt of a transaction committed by the client's administration."""
    txn = _own_transaction(transaction_id)
    return jsonify(present.receipt(receipts.receipt_data(db.session, txn), txn))


@customs_api("/v1/customs/transactions/<int:transaction_id>/cancel", "POST", "customs:write")
def customs_cancel(transaction_id: int):
    def handle(body):
        validate("CustomsCancelRequest", body)
        txn = _own_transaction(transaction_id)
        engine.cancel_transaction(
            db.session,
            txn.id,
            _officer(body),
            body["cancellation_code"],
            body["reason"],
            client_key=f"api_client:{g.api_client.id}",
        )
        return (
            200,
            {
                "transaction_id": txn.id,
                "kind": txn.kind,
                "state": "cancelled",
                "receipt": _receipt_url(txn.id),
            },
            {},
        )

    return write(handle)


# --- pre-notifications and pre-declarations (F-51) --------------------------------------------


def _predeclaration(predeclaration_id: int, body: dict) -> tuple[Predeclaration, engine.Officer]:
    """A pre-declaration sent to an office of the client's administration, and the client
    acting at that office (the officer named in the body, if any)."""
    p = _own(Predeclaration, predeclaration_id, "predeclaration")
    name = (body.get("officer") or "").strip()
    client = g.api_client
    account = ApiAccount(
        customs_id=g.customs.id,
        email=client.client_id,
        full_name=(f"{name} (via {client.name})" if name else client.name)[:200],
    )
    office = _own(Office, p.office_id, "office")
    return p, engine.Officer(account=account, office=office, ip=request.remote_addr)


@customs_api("/v1/customs/predeclarations", "GET", "customs:read")
def customs_predeclarations():
    """The administration's incoming pre-notifications/pre-declarations, newest first."""
    page, per_page = page_args()
    errors = []
    office_id = request.args.get("office_id")
    day = request.args.get("date")
    status = request.args.get("status")
    if office_id is not None and not (office_id.isascii() and office_id.isdigit()):
        errors.append({"field": "office_id", "message": "Must be a whole number."})
    try:
        day_value = dt.date.fromisoformat(day) if day else None
    except ValueError:
        day_value = None
        errors.append({"field": "date", "message": "Must be a date (yyyy-mm-dd)."})
    if status is not None and predeclarations.parse_state(status) is None:
        errors.append({"field": "status", "message": "Not a known status."})
    if errors:
        raise ValidationFailed(errors)
    offices = [o.id for o in db.session.scalars(tenant_select(Office))]
    stmt = predeclarations.incoming(
        g.customs.id,
        offices,
        office_id=bounded_int(office_id) if office_id else None,
        day=day_value,
        state=status or None,
    )
    result = paginate(db.session, stmt, page, per_page, rows=True)
    return jsonify(
        {
            "items": [
                predeclarations.as_json(db.session, p, carnet) for p, carnet, _ in result.items
            ],
            "page": result.page,
            "per_page": per_page,
            "total": result.total,
        }
    )


@customs_api("/v1/customs/predeclarations/<int:predeclaration_id>", "GET", "customs:read")
def customs_predeclaration(predeclaration_id: int):
    p = _own(Predeclaration, predeclaration_id, "predeclaration")
    return jsonify(predeclarations.as_json(db.session, p))


@customs_api(
    "/v1/customs/predeclarations/<int:predeclaration_id>/acknowledge", "POST", "customs:write"
)
def customs_acknowledge_predeclaration(predeclaration_id: int):
    def handle(body):
        validate("CustomsPredeclarationAct", body)
        p, officer = _predeclaration(predeclaration_id, body)
        predeclarations.acknowledge(db.session, p.id, officer)
        return 200, predeclarations.as_json(db.session, p), {}

    return write(handle)


@customs_api("/v1/customs/predeclarations/<int:predeclaration_id>/reject", "POST", "customs:write")
def customs_reject_predeclaration(predeclaration_id: int):
    def handle(body):
        validate("CustomsPredeclarationReject", body)
        p, officer = _predeclaration(predeclaration_id, body)
        predeclarations.reject(db.session, p.id, officer, body["reason"])
        return 200, predeclarations.as_json(db.session, p), {}

    return write(handle)


@customs_api("/v1/customs/predeclarations/<int:predeclaration_id>/commit", "POST", "customs:write")
def customs_commit_predeclaration(predeclaration_id: int):
    """Commit a pre-declaration at its office: the engine's commit (every rule, R-01 … R-12);
    the Idempotency-Key is the commit token (R-11)."""

    def handle(body):
        validate("CustomsPredeclarationCommit", body)
        p, officer = _predeclaration(predeclaration_id, body)
        result = predeclarations.commit(
            db.session,
            p.id,
            officer,
            fields=body.get("fields") or {},
            step=body.get("step"),
            commit_token=_commit_token(),
        )
        return _committed(result)

    return write(handle)
