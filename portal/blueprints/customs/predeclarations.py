"""The customs list of incoming pre-notifications and pre-declarations (F-51): the officer's
offices only (R-16), their administration only (R-17); Details with Acknowledge, Reject (with a
reason) and — for a pre-declaration — Commit through the engine, landing on the receipt."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import abort, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.customs import bp
from portal.blueprints.customs.desk import Wizard, my_offices, officer_at, refusal_status
from portal.domain import DomainError, NotFound
from portal.domain import predeclarations as pd
from portal.domain.carnets import holder_of
from portal.domain.organisation import office_within_reach
from portal.domain.paging import paginate
from portal.domain.predeclarations import attachments
from portal.domain.rules import label
from portal.extensions import db, limiter
from portal.models import Office, Predeclaration, Voucher
from portal.tenancy import get_for_tenant_or_404
from portal.web import (
    int_arg,
    page_arg,
    permission_required,
    redirect_to,
    render_page,
    send_upload,
)

STATUS_FILTERS = ("open", "pending", "acknowledged", "rejected", "committed", "withdrawn")


def _day_arg() -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get("date", "").strip())
    except ValueError:
        return None


@bp.get("/predeclarations")
@permission_required("process_carnet")
def predeclarations():
    offices = my_offices()
    ids = [o.id for o in offices]
    office_id = int_arg("office_id")
    office_id = office_id if office_id in ids else None
    day = _day_arg()
    status = pd.parse_state(request.args.get("status"))
    stmt = pd.incoming(g.tenant.id, ids, office_id=office_id, day=day, state=status)
    page = paginate(db.session, stmt, page_arg(), rows=True)
    filters = {
        "office_id": str(office_id or ""),
        "date": day.isoformat() if day else "",
        "status": status or "",
    }
    rows = [
        {
            "p": p,
            "carnet": carnet,
            "office": office,
            "type": pd.kind_name(p),
            "kind": label(p.kind),
            # sent "without the carnet's details": the holder is not shown
            "holder": holder_of(carnet).get("name", "")
            if p.option != "notification_only"
            else None,
        }
        for p, carnet, office in page.items
    ]
    return render_page(
        "customs/predeclarations.html",
        block="results",
        page=page,
        rows=rows,
        offices=offices,
        filters=filters,
        statuses=STATUS_FILTERS,
        page_url=lambda n: (
            url_for("customs.predeclarations") + "?" + urlencode({**filters, "page": n})
        ),
    )


def _load(predeclaration_id: int) -> tuple[Predeclaration, Office]:
    """The pre-declaration, if it is addressed to one of the officer's offices (R-16, R-17)."""
    p = get_for_tenant_or_404(Predeclaration, predeclaration_id)
    office = get_for_tenant_or_404(Office, p.office_id)
    if not office_within_reach(current_user, office):
        abort(404)
    return p, office


def _detail(p: Predeclaration, errors: dict | None = None, values=None, status: int = 200):
    d = pd.details(db.session, p)
    values = values if values is not None else pd.prefilled_fields(p)
    return render_page(
        "customs/predeclaration.html",
        p=p,
        d=d,
        errors=errors or {},
        values=values,
        can_commit=p.option == "automatic" and p.is_open,
        attached=attachments.attachments_of(db.session, p.id),
        status=status,
    )


@bp.get("/predeclarations/<int:predeclaration_id>")
@permission_required("process_carnet")
def predeclaration(predeclaration_id: int):
    p, _ = _load(predeclaration_id)
    return _detail(p)


def _refused(p: Predeclaration, e: DomainError, field: str):
    db.session.rollback()
    if isinstance(e, NotFound):
        abort(404)
    db.session.refresh(p)
    return _detail(p, {e.field or field: e.message}, request.form, refusal_status(e))


@bp.get("/predeclarations/<int:predeclaration_id>/attachments/<int:attachment_id>")
@permission_required("process_carnet")
def predeclaration_attachment(predeclaration_id: int, attachment_id: int):
    """A document the holder attached, as a download (`send_upload`: attachment, nosniff, a CSP
    that runs nothing) — through its pre-declaration: another administration's, or an office
    outside the officer's reach, is a 404, and so is another pre-declaration's attachment."""
    p, _office = _load(predeclaration_id)
    try:
        row = attachments.get(db.session, p.id, attachment_id)
    except NotFound:
        abort(404)
    return send_upload(row.path, row.filename, row.content_type)


@bp.post("/predeclarations/<int:predeclaration_id>/acknowledge")
@permission_required("process_carnet")
def acknowledge_predeclaration(predeclaration_id: int):
    p, office = _load(predeclaration_id)
    try:
        pd.acknowledge(db.session, p.id, officer_at(office))
    except DomainError as e:
        return _refused(p, e, "acknowledge")
    db.session.commit()
    flash(
        _("The pre-declaration was acknowledged; the holder is told.")
        if p.option == "automatic"
        else _("The pre-notification was acknowledged; the holder is told."),
        "success",
    )
    return redirect_to(url_for("customs.predeclaration", predeclaration_id=p.id))


@bp.post("/predeclarations/<int:predeclaration_id>/reject")
@permission_required("process_carnet")
def reject_predeclaration(predeclaration_id: int):
    p, office = _load(predeclaration_id)
    try:
        pd.reject(db.session, p.id, officer_at(office), request.form.get("reason", ""))
    except DomainError as e:
        return _refused(p, e, "reason")
    db.session.commit()
    flash(
        _("The pre-declaration was rejected; the holder is told to stop for inspection.")
        if p.option == "automatic"
        else _("The pre-notification was rejected; the holder is told to stop for inspection."),
        "success",
    )
    return redirect_to(url_for("customs.predeclaration", predeclaration_id=p.id))


@bp.post("/predeclarations/<int:predeclaration_id>/commit")
@permission_required("process_carnet")
@limiter.limit("30/minute")
def commit_predeclaration(predeclaration_id: int):
    """Commit from the list (the guide: "Commit redirects the Customs officer to … a new
    transaction with the fields prefilled"): the desk's wizard for the pre-declared voucher at
    the pre-declaration's office, opened at step 2 (the pre-declaration names the voucher: no
    code to scan), its step 4 pre-filled with the pre-declared fields; its Commit goes through
    `predeclarations.commit` (the engine's `commit_voucher`, R-01 … R-12) to the receipt.
    Refused on Details when the pre-declaration can no longer be committed."""
    p, office = _load(predeclaration_id)
    if p.option != "automatic" or not p.is_open:
        what = (
            pd.what_happened(p) + " " + _("It cannot be committed.")
            if not p.is_open
            else _(
                "This is a pre-notification: the holder did not allow an automatic transaction. "
                "Acknowledge it, and process the carnet with New transaction when it arrives."
            )
        )
        return _detail(p, {"commit": what}, request.form, 409)
    voucher = db.session.get(Voucher, p.voucher_id)
    if voucher is None:  # the foreign key
        abort(404)
    token = Wizard.start(voucher, office, predeclaration_id=p.id)
    return redirect_to(url_for("customs.check_carnet", w=token))
