"""The desk's screens around the wizard: the receipt (step 5, F-43) with its QR and PDF, Last
transactions and cancellation (F-44, F-45), On hold and release (F-46)."""

from __future__ import annotations

from types import SimpleNamespace

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased
from werkzeug.exceptions import NotFound as HTTPNotFound

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
from portal.db import now_utc
from portal.domain import DomainError, NotFound, archive, receipts
from portal.domain import carnets as carnet_domain
from portal.domain import transactions as engine
from portal.domain.paging import paginate
from portal.domain.rules import label
from portal.extensions import db, limiter
from portal.i18n import fmt_datetime
from portal.models import (
    Carnet,
    CustomsTerritory,
    GoodsItem,
    Hold,
    Office,
    Transaction,
    Travel,
    Voucher,
)
from portal.tenancy import get_for_tenant_or_404
from portal.web import page_arg, permission_required, redirect_to

# --- step 5: receipt -------------------------------------------------------------------------


class _ReceiptPanel:
    """What the carnet panel needs on step 5, from the transaction (no wizard token there)."""

    def __init__(self, txn: Transaction):
        self.voucher = db.session.get(Voucher, txn.voucher_id)
        # as committed: the commit may have validated it (F-73), written row by row
        self.carnet = db.session.get(Carnet, txn.carnet_id, populate_existing=True)
        self.travel = db.session.get(Travel, self.voucher.travel_id)
        self._txn = txn

    def place(self):
        t = self._txn
        return SimpleNamespace(office_name=t.office_name, officer_name=t.officer_name)


def _receipt_step(txn: Transaction, status: int = 200, errors=None):
    data = receipts.receipt_data(db.session, txn)
    voucher = SimpleNamespace(id=txn.voucher_id)
    return render_step(
        5,
        status,
        panel=lambda: panel_of(_ReceiptPanel(txn))(),
        voucher=voucher,
        r=data,
        errors=errors or {},
        cancel_values=request.form if errors else {},
    )


@bp.get("/transactions/<int:transaction_id>/receipt")
@permission_required("process_carnet")
def receipt(transaction_id: int):
    return _receipt_step(_own_transaction(transaction_id))


def _own_transaction(transaction_id: int) -> Transaction:
    """The administration's transaction by id: live, else an archived carnet's
    (portal/domain/archive.py) — its receipt stays available."""
    try:
        return get_for_tenant_or_404(Transaction, transaction_id)
    except HTTPNotFound:
        return get_for_tenant_or_404(archive.ARCHIVE.txn, transaction_id)


@bp.get("/transactions/<int:transaction_id>/qr.svg")
@permission_required("process_carnet")
def receipt_qr(transaction_id: int):
    """Step 5's verification QR as an image: fetched once, kept by the browser (private)."""
    txn = _own_transaction(transaction_id)
    resp = current_app.response_class(
        receipts.verification_qr_file(db.session, txn), mimetype="image/svg+xml"
    )
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


@bp.get("/transactions/<int:transaction_id>/receipt.pdf")
@permission_required("process_carnet")
def receipt_pdf(transaction_id: int):
    txn = _own_transaction(transaction_id)
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


def _last_context(office: Office | None, page_no: int = 1) -> dict:
    """F-45: the office's commits, newest first, a page at a time, each with its carnet number
    and holder. An EU exportation committed with its exit ("Exit" at an office that is both,
    F-42) is one row: the pre-exportation committed with it (same voucher, same instant) is
    shown inside the exportation's row, not as a second cancellable row."""
    ctx = {"office": office, "offices": my_offices(), "label": label, "rows": [], "page": None}
    if office is None:
        return ctx
    sibling = aliased(Transaction)
    folded = (
        select(sibling.id)
        .where(
            sibling.voucher_id == Transaction.voucher_id,
            sibling.committed_at == Transaction.committed_at,
            sibling.kind == "export",
        )
        .exists()
    )
    stmt = (
        select(Transaction, Carnet)
        .join(Carnet, Carnet.id == Transaction.carnet_id)
        .where(Transaction.office_id == office.id, ~and_(Transaction.kind == "pre_export", folded))
        .order_by(Transaction.committed_at.desc(), Transaction.id.desc())
    )
    page = paginate(db.session, stmt, page_no, rows=True)
    exports = [t.voucher_id for t, _ in page.items if t.kind == "export"]
    with_pre = set()
    if exports:
        with_pre = set(
            db.session.execute(
                select(Transaction.voucher_id, Transaction.committed_at).where(
                    Transaction.voucher_id.in_(exports), Transaction.kind == "pre_export"
                )
            ).all()
        )
    ctx["page"] = page
    ctx["rows"] = [
        SimpleNamespace(
            txn=t,
            carnet=carnet,
            holder=carnet_domain.holder_of(carnet).get("name", ""),
            also=["pre-exportation"] if (t.voucher_id, t.committed_at) in with_pre else [],
        )
        for t, carnet in page.items
    ]
    return ctx


@bp.get("/transactions/last")
@permission_required("process_carnet")
def last_transactions():
    return render_template(
        "customs/last.html", **_last_context(current_office(), page_arg()), errors={}
    )


@bp.get("/transactions/last/print")
@permission_required("process_carnet")
def last_transactions_print():
    """The same page of Last transactions as a print view: the table only, no navigation."""
    return render_template(
        "customs/last_print.html", **_last_context(current_office(), page_arg()), now=now_utc()
    )


@bp.post("/transactions/<int:transaction_id>/cancel")
@permission_required("process_carnet")
@limiter.limit("30/minute")
def cancel(transaction_id: int):
    txn = _own_transaction(transaction_id)
    office = office_or_none(request.form.get("office_id") or txn.office_id) or office_or_none(
        default_office_id()
    )
    if office is None:
        abort(404)
    # cancelled from the receipt (step 5, the guide) or from Last transactions
    from_receipt = request.form.get("from") == "receipt"
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
        if from_receipt:  # the receipt step again, the message next to its field
            return _receipt_step(txn, refusal_status(e), {e.field or "cancel": e.message})
        errors = {txn.id: {e.field or "cancel": e.message}}
        return render_template(
            "customs/last.html", **_last_context(office), errors=errors, values=request.form
        ), refusal_status(e)
    db.session.commit()
    flash(
        _(
            "The %(kind)s of %(when)s was cancelled.",
            kind=label(txn.kind),
            when=fmt_datetime(txn.committed_at),
        ),
        "success",
    )
    if from_receipt:
        return redirect(url_for("customs.receipt", transaction_id=txn.id), 303)
    return redirect_to(url_for("customs.last_transactions", office_id=office.id))


# --- on hold and release (F-46) --------------------------------------------------------------


def _holds() -> list[dict]:
    """The administration's holds with their carnet, voucher and customs territory, and the
    pieces the held voucher would clear (the guide's "Cleared goods"; a validation: the whole
    general list)."""
    rows = db.session.execute(
        select(Hold, Carnet, Voucher, CustomsTerritory.name)
        .join(Carnet, Carnet.id == Hold.carnet_id)
        .join(CustomsTerritory, CustomsTerritory.id == Hold.territory_id)
        .outerjoin(Voucher, Voucher.id == Hold.voucher_id)
        .where(Hold.customs_id == g.tenant.id, Hold.released_at.is_(None))
        .order_by(Hold.held_at.desc())
    ).all()
    out = []
    for h, carnet, voucher, territory in rows:
        lines = engine.declared_goods(db.session, voucher) if voucher is not None else []
        if lines is None:
            pieces = db.session.scalar(
                select(func.coalesce(func.sum(GoodsItem.pieces), 0)).where(
                    GoodsItem.carnet_id == carnet.id
                )
            )
        else:
            pieces = sum(n for _, n in lines)
        out.append(
            {
                "hold": h,
                "carnet": carnet,
                "holder": carnet_domain.holder_of(carnet),
                "kind": label(voucher.kind) if voucher is not None else "",
                "territory": territory,
                "pieces": pieces,
                "items": len(lines) if lines is not None else carnet.item_count,
            }
        )
    return out


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
            raise DomainError(_("Choose one of the offices of your region."))
        engine.release_hold(db.session, held.id, officer_at(office))
    except NotFound:
        abort(404)
    except DomainError as e:
        db.session.rollback()
        return render_template(
            "customs/holds.html", rows=_holds(), errors={held.id: e.message}
        ), refusal_status(e)
    db.session.commit()
    flash(_("The carnet was released."), "success")
    return redirect_to(url_for("customs.on_hold"))
