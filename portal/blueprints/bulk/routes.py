"""Bulk creation from Excel (F-16): templates, cleaning sessions, import jobs. Admins only.

Every answer goes through portal/web.py: the session page or its `cleaning`/`job` block for
htmx; a cleaning session is loaded by `get_for_tenant_or_404` narrowed to its owner.
"""

from __future__ import annotations

import io
import os

from flask import abort, current_app, g, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from jobs import enqueue
from jobs.tasks import import_bulk_session
from portal.blueprints.bulk import bp
from portal.blueprints.bulk.forms import EmptyForm, UploadForm
from portal.domain import DomainError
from portal.domain import bulk as bulk_domain
from portal.domain.permissions import has_permission
from portal.domain.xlsx_guard import HostileFile, Limits
from portal.extensions import db, limiter
from portal.i18n import fmt_number
from portal.models.bulk import BulkSession
from portal.tenancy import get_for_tenant_or_404, resolve_request_site
from portal.web import (
    audit_request,
    bounded_int,
    permission_required,
    redirect_to,
    render_page,
    wants_fragment,
)

PERMISSION = "bulk_creation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kind(kind: str | None) -> str:
    if kind not in bulk_domain.KINDS:
        abort(404)
    return kind


def _own_session(session_id) -> BulkSession:
    """The current admin's cleaning session; another admin's or administration's is a 404."""
    return get_for_tenant_or_404(BulkSession, session_id, BulkSession.account_id == current_user.id)


def _limits() -> Limits:
    return Limits.from_config(current_app.config)


def _per_page(spec) -> int:
    # stays under werkzeug's 1000 form parts when the page is posted back
    return max(10, min(50, 900 // len(spec.columns)))


@bp.get("/bulk/")
@permission_required(PERMISSION)
def index():
    kind = _kind(request.args.get("kind", "region"))
    return _render_index(kind, UploadForm())


def _render_index(kind: str, form: UploadForm, status: int = 200):
    sessions = {
        k: bulk_domain.current_session(db.session, g.tenant.id, current_user.id, k)
        for k in bulk_domain.KINDS
    }
    return render_page(
        "bulk/index.html",
        kind=kind,
        spec=bulk_domain.spec_of(kind),
        specs=bulk_domain.SPECS,
        sessions=sessions,
        form=form,
        max_rows=_limits().max_rows,
        status=status,
    )


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    """A file over the request size limit: the upload form with its message, not the
    server's page (the body was not read, so the form is built without it)."""
    kind = (request.view_args or {}).get("kind")
    generic = render_page(
        "error.html",
        code=413,
        title=_("Too large"),
        detail=_("The request is too large."),
        status=413,
    )
    if request.endpoint != "bulk.upload" or kind not in bulk_domain.KINDS:
        return generic
    try:
        if getattr(g, "tenant", None) is None:  # refused before the site was resolved:
            resolve_request_site()  # resolve it, and load the user again
            g.pop("_login_user", None)
    except HTTPException:
        return generic
    if not current_user.is_authenticated or not has_permission(current_user.role, PERMISSION):
        return generic
    form = UploadForm(formdata=None)
    limit = min(
        current_app.config.get("MAX_CONTENT_LENGTH") or _limits().max_file_bytes,
        _limits().max_file_bytes,
    )
    form.file.errors = [
        _(
            "This file is too large: at most %(size)s MB can be uploaded.",
            size=fmt_number(round(limit / (1024 * 1024))),
        )
    ]
    return _render_index(kind, form, 413)


@bp.get("/bulk/<kind>/template.xlsx")
@permission_required(PERMISSION)
def template(kind: str):
    kind = _kind(kind)
    data = bulk_domain.build_template(db.session, g.tenant, kind, _limits().max_rows)
    spec = bulk_domain.spec_of(kind)
    return send_file(
        io.BytesIO(data),
        as_attachment=True,
        download_name=f"eata-{g.tenant.code}-{spec.sheet}.xlsx",
        mimetype=XLSX,
    )


@bp.post("/bulk/<kind>/upload")
@permission_required(PERMISSION)
@limiter.limit("30 per minute")
def upload(kind: str):
    kind = _kind(kind)
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_index(kind, form, 422)
    file = form.file.data
    data = file.read(_limits().max_file_bytes + 1)
    try:
        bs = bulk_domain.upload(
            db.session, g.tenant, current_user, kind, file.filename or "", data, _limits()
        )
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, HostileFile):
            audit_request(
                "bulk.file_refused",
                object_type="bulk_upload",
                object_id=kind,
                data={"filename": (file.filename or "")[:200], "reason": exc.message},
            )
            db.session.commit()
        form.file.errors = [exc.message]
        return _render_index(kind, form, 422)
    audit_request(
        "bulk.uploaded",
        object_type="bulk_session",
        object_id=bs.id,
        data={"kind": kind, "rows": bs.row_count, "errors": bs.error_count},
    )
    db.session.commit()
    return redirect_to(url_for("bulk.show", session_id=bs.id))


def _page(value) -> int:
    try:
        return max(1, bounded_int(value))
    except (TypeError, ValueError):
        return 1


def _session_context(bs: BulkSession, page: int) -> dict:
    spec = bulk_domain.spec_of(bs.kind)
    per_page = _per_page(spec)
    pages = max(1, -(-bs.row_count // per_page))
    page = min(max(page, 1), pages)
    return {
        "bs": bs,
        "spec": spec,
        "rows": bulk_domain.page_of_rows(db.session, bs, page, per_page),
        "page": page,
        "pages": pages,
        "job": bulk_domain.job_of(db.session, bs),
        "form": EmptyForm(),
    }


@bp.get("/bulk/sessions/<int:session_id>")
@permission_required(PERMISSION)
def show(session_id: int):
    bs = _own_session(session_id)
    ctx = _session_context(bs, _page(request.args.get("page", 1)))
    return render_page("bulk/session.html", block="cleaning", **ctx)


@bp.post("/bulk/sessions/<int:session_id>")
@permission_required(PERMISSION)
def save(session_id: int):
    """ "Save changes": the rows of the page as edited in the browser, then all re-validated."""
    bs = _own_session(session_id)
    edits: dict[int, dict] = {}
    removed: set[int] = set()
    for name, value in request.form.items():
        parts = name.split("-", 2)
        number = parts[1] if len(parts) > 1 and parts[1].isascii() and parts[1].isdigit() else None
        if len(parts) == 3 and parts[0] == "r" and number:
            edits.setdefault(bounded_int(number), {})[parts[2]] = value
        elif len(parts) == 2 and parts[0] == "remove" and number:
            removed.add(bounded_int(number))
    page = _page(request.form.get("page", 1))
    try:
        bulk_domain.save_rows(
            db.session, bs, g.tenant, edits, removed, max_chars=_limits().max_cell_chars
        )
    except DomainError as exc:
        db.session.rollback()
        ctx = _session_context(bs, page)
        return render_page(
            "bulk/session.html",
            block="cleaning",
            save_error=exc.message,
            status=409 if exc.status == 409 else 422,
            **ctx,
        )
    audit_request(
        "bulk.saved",
        object_type="bulk_session",
        object_id=bs.id,
        data={"edited": len(edits), "removed": len(removed)},
    )
    db.session.commit()
    if wants_fragment():
        ctx = _session_context(bs, page)
        return render_page("bulk/session.html", block="cleaning", saved=True, job_oob=True, **ctx)
    return redirect_to(url_for("bulk.show", session_id=bs.id, page=page))


@bp.post("/bulk/sessions/<int:session_id>/import")
@permission_required(PERMISSION)
def start_import(session_id: int):
    bs = _own_session(session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        job = bulk_domain.begin_import(db.session, bs, current_user)
    except DomainError as exc:
        db.session.rollback()
        ctx = _session_context(bs, 1)
        return render_page(
            "bulk/session.html", block="job", import_error=exc.message, status=409, **ctx
        )
    audit_request(
        "bulk.import_started", object_type="bulk_session", object_id=bs.id, data={"job": job.id}
    )
    db.session.commit()
    enqueue(import_bulk_session, job.id)
    if wants_fragment():
        db.session.expire_all()
        response = job_status(bs.id)
        if bulk_domain.job_of(db.session, bs).is_final:  # ran inline: show the imported rows
            response.headers["HX-Refresh"] = "true"
        return response
    return redirect_to(url_for("bulk.show", session_id=bs.id))


@bp.get("/bulk/sessions/<int:session_id>/job")
@permission_required(PERMISSION)
def job_status(session_id: int):
    """The progress component: polls itself while the job runs; the final answer stops the
    polling and reloads the page so the rows show what was imported."""
    bs = _own_session(session_id)
    job = bulk_domain.job_of(db.session, bs)
    response = render_page("bulk/_job.html", bs=bs, job=job, form=EmptyForm())
    if job is not None and job.is_final and wants_fragment() and request.args.get("poll") == "1":
        response.headers["HX-Refresh"] = "true"
    return response


@bp.get("/bulk/sessions/<int:session_id>/report.xlsx")
@permission_required(PERMISSION)
def report(session_id: int):
    """The last import's result report: every row, created or why not."""
    bs = _own_session(session_id)
    job = bulk_domain.job_of(db.session, bs)
    if job is None or job.status != "done" or not job.result_path:
        abort(404)
    root = os.path.realpath(current_app.config["STORAGE_DIR"])
    path = os.path.realpath(os.path.join(root, job.result_path))
    if not path.startswith(root + os.sep) or not os.path.exists(path):
        abort(404)
    return send_file(path, as_attachment=True, download_name=os.path.basename(path))
