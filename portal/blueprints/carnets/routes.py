"""Customs-side views of the carnet registry: a carnet's audit trail (F-25)."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.blueprints.carnets import bp
from portal.db import now_utc
from portal.domain import NotFound
from portal.domain import carnets as domain
from portal.extensions import db
from portal.web import permission_required


@bp.get("/carnets/audit")
@permission_required("logs")
def find_audit():
    """Type an eATA ID to open its audit trail."""
    raw = (request.args.get("eata_id") or "").strip()
    error = None
    if raw:
        if raw.isascii() and raw.isdigit() and len(raw) <= 10:
            return redirect(url_for("carnets.audit", eata_id=int(raw)), 303)
        error = _("Type the carnet's eATA ID: digits only.")
    return render_template("carnets/find.html", value=raw, error=error), 422 if error else 200


@bp.get("/carnets/<int:eata_id>/audit")
@permission_required("logs")
def audit(eata_id: int):
    if eata_id > 2_147_483_647:
        abort(404)
    try:
        carnet = domain.get_by_eata_id(db.session, eata_id)
    except NotFound:
        abort(404)
    # Events recorded by another administration stay private to it (F-02); those of NICS
    # clients, the operator and the system concern every customs.
    lines = [
        line
        for line in domain.audit_lines(db.session, eata_id)
        if line["customs_id"] in (None, g.tenant.id)
    ]
    return render_template(
        "carnets/audit.html",
        carnet=carnet,
        lines=lines,
        status=carnet.effective_status(now_utc().date()),
    )
