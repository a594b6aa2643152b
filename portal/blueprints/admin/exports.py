"""The accounts export (F-14) as a job, like the other exports: the list's "Export" button
starts it, its page shows the progress and offers the file when it is ready."""

from __future__ import annotations

import os

from flask import abort, current_app, g, send_file, url_for
from flask_login import current_user

from jobs import enqueue
from jobs.tasks import export_accounts
from portal.blueprints.admin import bp
from portal.blueprints.admin.accounts import any_account_permission, list_filters
from portal.blueprints.admin.forms import EmptyForm
from portal.domain import jobs as domain_jobs
from portal.extensions import db, limiter
from portal.models.jobs import Job
from portal.tenancy import get_for_tenant_or_404
from portal.web import audit_request, redirect_to, render_page

EXPORT_ACCOUNTS = "export_accounts"


def _own_export(job_id: int) -> Job:
    """An accounts export started by the current user; anyone else's is a 404."""
    return get_for_tenant_or_404(
        Job, job_id, Job.kind == EXPORT_ACCOUNTS, Job.account_id == current_user.id
    )


@bp.post("/accounts/export")
@any_account_permission
@limiter.limit("30 per hour")
def accounts_export():
    if not EmptyForm().validate_on_submit():
        abort(400)
    args, filters = list_filters()
    job = domain_jobs.create_job(
        db.session,
        EXPORT_ACCOUNTS,
        customs_id=g.tenant.id,
        account_id=current_user.id,
        params={"filters": args},
    )
    audit_request("account.export", object_type="job", object_id=job.id, data={"filters": filters})
    db.session.commit()
    enqueue(export_accounts, job.id)
    return redirect_to(url_for("admin.export_job", job_id=job.id))


@bp.get("/exports/<int:job_id>")
@any_account_permission
def export_job(job_id: int):
    job = _own_export(job_id)
    return render_page("admin/export_job.html", fragment="admin/_export_job.html", job=job)


@bp.get("/exports/<int:job_id>/download")
@any_account_permission
def export_download(job_id: int):
    job = _own_export(job_id)
    if job.status != "done" or not job.result_path:
        abort(404)
    root = os.path.realpath(current_app.config["STORAGE_DIR"])
    path = os.path.realpath(os.path.join(root, job.result_path))
    if not path.startswith(root + os.sep) or not os.path.exists(path):
        abort(404)
    return send_file(
        path,
        as_attachment=True,
        download_name=os.path.basename(path),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
