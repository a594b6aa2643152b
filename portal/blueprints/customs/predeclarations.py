"""The customs list of incoming pre-notifications and pre-declarations (F-51): the officer's
offices only (R-16), their administration only (R-17); Details with Acknowledge, Reject (with a
reason) and — for a pre-declaration — Commit through the engine, landing on the receipt."""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlencode

from flask import abort, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.customs import bp
from portal.blueprints.customs.desk import my_offices, officer_at, refusal_status
from portal.blueprints.customs.forms import commit_fields
from portal.domain import DomainError, NotFound
from portal.domain import predeclarations as pd
from portal.domain.carnets import holder_of
from portal.domain.organisation import office_within_reach
from portal.domain.paging import paginate
from portal.domain.rules import label
from portal.extensions import db, limiter
from portal.models import Office, Predeclaration
from portal.tenancy import get_for_tenant_or_404
from portal.web import int_arg, page_arg, permission_required, redirect_to, render_page

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
        commit_token=values.get("commit_token") or secrets.token_urlsafe(24),
        can_commit=p.option == "automatic" and p.is_open,
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
    """Commit from the list: the engine's `commit_voucher` (every rule, R-01 … R-12) with the
    form's one-time commit token (a double click or a reload answers the first result, R-11),
    then the receipt."""
    p, office = _load(predeclaration_id)
    try:
        fields, step = commit_fields(p.kind, request.form)
        result = pd.commit(
            db.session,
            p.id,
            officer_at(office),
            fields=fields,
            step=step,
            commit_token=request.form.get("commit_token") or None,
        )
    except DomainError as e:
        return _refused(p, e, "commit")
    db.session.commit()
    return redirect_to(url_for("customs.receipt", transaction_id=result.transaction_id))
