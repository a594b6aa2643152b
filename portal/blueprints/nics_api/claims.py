"""Claims concerning the client's NGA (F-67): list, read, answer, furnish evidence."""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from portal.api.bodies import validate
from portal.api.idempotent import write
from portal.api.paging import page_args
from portal.api.problems import Problem
from portal.blueprints.nics_api import claims_present
from portal.blueprints.nics_api.routes import _today, api
from portal.domain import DomainError, NotFound, audit
from portal.domain import claims as claim_domain
from portal.extensions import db


def _limits() -> claim_domain.Limits:
    return claim_domain.Limits.from_config(current_app.config)


def _audit_claim(action: str, claim) -> None:
    a = g.actor
    audit.record(
        db.session,
        action,
        actor_type=a.type,
        actor_id=a.id,
        actor_label=a.label,
        ip=a.ip,
        customs_id=claim.customs_id,
        nga_id=g.nga.id,  # the NGA's chain: its systems wrote it
        object_type="claim",
        object_id=claim.id,
    )


def _claim(claim_id: int):
    try:
        return claim_domain.get_for_nga(db.session, g.nga.id, claim_id)
    except NotFound:
        raise Problem(404, f"No claim {claim_id} concerning your NGA.") from None


def _json(claim, detail: bool = True) -> dict:
    return claims_present.claim(db.session, claim, _limits(), _today(), detail=detail)


@api("/v1/claims", "GET", "carnets:read")
def list_claims():
    page, per_page = page_args()
    rows, total = claim_domain.for_nga(db.session, g.nga.id, page, per_page)
    return jsonify(
        {
            "items": [_json(c, detail=False) for c in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
        }
    )


@api("/v1/claims/<int:claim_id>", "GET", "carnets:read")
def get_claim(claim_id: int):
    return jsonify(_json(_claim(claim_id)))


@api("/v1/claims/<int:claim_id>/answer", "POST", "carnets:write")
def answer_claim(claim_id: int):
    def handle(body):
        validate("ClaimAnswer", body)
        claim = _claim(claim_id)
        claim_domain.answer(
            db.session,
            claim,
            nga_name=g.nga.name,
            text=body.get("text", ""),
            transaction_ids=body.get("transaction_ids") or [],
        )
        _audit_claim("claim.answered", claim)
        return 200, _json(claim), {}

    return write(handle)


@api("/v1/claims/<int:claim_id>/evidence", "POST", "carnets:write")
def claim_evidence(claim_id: int):
    """Upload one document or certificate of location as the raw body (PDF, PNG or JPEG)."""
    limits = _limits()
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
        claim_domain.add_evidence(
            db.session,
            claim,
            kind=kind,
            filename=filename,
            content_type=request.mimetype,
            data=data,
            storage_dir=current_app.config["STORAGE_DIR"],
            limits=limits,
            nga_name=g.nga.name,
        )
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 409:
            raise Problem(409, exc.message) from None
        raise Problem(
            422, exc.message, errors=[{"field": exc.field or "body", "message": exc.message}]
        ) from None
    _audit_claim("claim.evidence", claim)
    db.session.commit()
    resp = jsonify(_json(claim))
    resp.status_code = 201
    return resp
