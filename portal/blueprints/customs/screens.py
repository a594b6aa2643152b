"""The desk's screens around the wizard: the receipt (step 5, F-43) with its QR and PDF, Last
transactions and cancellation (F-44, F-45), On hold and release (F-46)."""

from __future__ import annotations

from types import SimpleNamespace

from flask import abort, current_app, flash, g, render_template, request, url_for
from sqlalchemy import select

from portal.blueprints.customs import bp
from portal.blueprints.customs.desk import (
    current_office,
    default_office_id,
    my_offices,
    office_or_none,
    officer_at,
    panel_of,
    refusal_status,
    render_step,
)
from portal.domain import DomainError, NotFound, receipts
from portal.domain import carnets as carnet_domain
from portal.domain import transactions as engine
from portal.domain.rules import label
from portal.extensions import db, limiter
from portal.models import Carnet, Hold, Office, Transaction, Travel, Voucher
from portal.tenancy import get_for_tenant_or_404
from portal.web import permission_required, redirect_to

# --- step 5: receipt -------------------------------------------------------------------------


class _ReceiptPanel:
    """What the carnet panel needs on step 5, from the transaction (no wizard token there)."""

    def __init__(self, txn: Transaction):
        self.voucher = db.session.get(Voucher, txn.voucher_id)
        self.carnet = db.session.get(Carnet, txn.carnet_id)
        self.travel = db.session.get(Travel, self.voucher.travel_id)
        self._txn = txn

    def place(self):
        t = self._txn
        return SimpleNamespace(office_name=t.office_name, officer_name=t.officer_name)


@bp.get("/transactions/<int:transaction_id>/receipt")
@permission_required("process_carnet")
def receipt(transaction_id: int):
    txn = get_for_tenant_or_404(Transaction, transaction_id)
    data = receipts.receipt_data(db.session, txn)
    voucher = SimpleNamespace(id=txn.voucher_id)
    return render_step(5, panel=lambda: panel_of(_ReceiptPanel(txn))(), voucher=voucher, r=data)


@bp.get("/transactions/<int:transaction_id>/qr.svg")
@permission_required("process_carnet")
def receipt_qr(transaction_id: int):
    """Step 5's verification QR as an image: fetched once, kept by the browser (private)."""
    txn = get_for_tenant_or_404(Transaction, transaction_id)
    resp = current_app.response_class(
        receipts.verification_qr_file(db.session, txn), mimetype="image/svg+xml"
    )
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


@bp.get("/transactions/<int:transaction_id>/receipt.pdf")
@permission_required("process_carnet")
def receipt_pdf(transaction_id: int):
    txn = get_for_tenant_or_404(Transaction, transaction_id)
    data = receipts.receipt_data(db.session, txn)
    html = render_template(
        "customs/receipt_pdf.html", r=data, qr_svg=receipts.verification_qr_svg(data)
    )
    pdf = receipts.render_pdf(html, current_app.static_folder)
    resp = current_app.response_class(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="eata-receipt-{data["carnet_number"]}-{txn.id}.pdf"'
    )
    return resp


# --- last transactions and cancellation (F-44, F-45) -----------------------------------------


def _last_context(office: Office | None) -> dict:
    rows = engine.last_commits(db.session, office.id, limit=30) if office else []
    return {"office": office, "offices": my_offices(), "rows": rows, "label": label}


@bp.get("/transactions/last")
@permission_required("process_carnet")
def last_transactions():
    return render_template("customs/last.html", **_last_context(current_office()), errors={})


@bp.post("/transactions/<int:transaction_id>/cancel")
@permission_required("process_carnet")
@limiter.limit("30/minute")
def cancel(transaction_id: int):
    txn = get_for_tenant_or_404(Transaction, transaction_id)
    office = office_or_none(request.form.get("office_id") or txn.office_id) or office_or_none(
        default_office_id()
    )
    if office is None:
        abort(404)
    try:
        engine.cancel_transaction(
            db.session,
            txn.id,
            officer_at(office),
            request.form.get("cancellation_code", ""),
            request.form.get("reason", ""),
        )
    except DomainError as e:
        db.session.rollback()
        errors = {txn.id: {e.field or "cancel": e.message}}
        return render_template(
            "customs/last.html", **_last_context(office), errors=errors, values=request.form
        ), refusal_status(e)
    db.session.commit()
    flash(
        f"The {label(txn.kind)} of {txn.committed_at.strftime('%d/%m/%Y %H:%M')} was cancelled.",
        "success",
    )
    return redirect_to(url_for("customs.last_transactions", office_id=office.id))


# --- on hold and release (F-46) --------------------------------------------------------------


def _holds() -> list[dict]:
    """The administration's holds with their carnet and voucher kind: one query."""
    rows = db.session.execute(
        select(Hold, Carnet, Voucher.kind)
        .join(Carnet, Carnet.id == Hold.carnet_id)
        .outerjoin(Voucher, Voucher.id == Hold.voucher_id)
        .where(Hold.customs_id == g.tenant.id, Hold.released_at.is_(None))
        .order_by(Hold.held_at.desc())
    ).all()
    return [
        {
            "hold": h,
            "carnet": carnet,
            "holder": carnet_domain.holder_of(carnet),
            "kind": label(kind) if kind else "",
        }
        for h, carnet, kind in rows
    ]


@bp.get("/holds")
@permission_required("process_carnet")
def on_hold():
    return render_template("customs/holds.html", rows=_holds(), errors={})


@bp.post("/holds/<int:hold_id>/release")
@permission_required("process_carnet")
def release(hold_id: int):
    held = get_for_tenant_or_404(Hold, hold_id)
    office = office_or_none(request.form.get("office_id") or default_office_id())
    try:
        if office is None:
            raise DomainError("Choose one of the offices of your region.")
        engine.release_hold(db.session, held.id, officer_at(office))
    except NotFound:
        abort(404)
    except DomainError as e:
        db.session.rollback()
        return render_template(
            "customs/holds.html", rows=_holds(), errors={held.id: e.message}
        ), refusal_status(e)
    db.session.commit()
    flash("The carnet was released.", "success")
    return redirect_to(url_for("customs.on_hold"))
