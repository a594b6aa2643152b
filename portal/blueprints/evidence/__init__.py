"""The public side of the signed evidence on wallet.<domain> (docs/evidence.md): the published
keys and the signed list of cancelled receipts under /.well-known/, and the verification page
where anyone pastes a receipt's QR text."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _

from portal.domain import evidence, signing
from portal.extensions import db, limiter

bp = Blueprint("evidence", __name__)

KEYS_PATH = "/.well-known/eata-receipt-keys.json"
REVOCATIONS_PATH = "/.well-known/eata-receipt-revocations.json"
MAX_QR_TEXT = 2000


def _public(response, seconds: int):
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers of other origins
    return response


@bp.get(KEYS_PATH)
def receipt_keys():
    return _public(jsonify(signing.keyring().published()), 3600)


@bp.get(REVOCATIONS_PATH)
@limiter.limit("60/minute")
def receipt_revocations():
    return _public(jsonify(evidence.revocation_list(db.session)), 300)


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def verify():
    """Paste a receipt's or statement's QR text: valid, invalid, revoked (cancelled)."""
    text = (request.form.get("qr") or "").strip() if request.method == "POST" else ""
    verdict, error = None, None
    if request.method == "POST":
        if not text:
            error = _("Paste the text of the receipt's QR code.")
        elif len(text) > MAX_QR_TEXT:
            error = _(
                "That is longer than any eATA QR code (%(count)s characters at most).",
                count=MAX_QR_TEXT,
            )
        else:
            verdict = evidence.verify_text(text, db.session)
    status = 422 if error else 200
    return render_template(
        "evidence/verify.html", verdict=verdict, error=error, text=text, keys_path=KEYS_PATH
    ), status
