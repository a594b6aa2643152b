"""Customs monitoring screens: transit monitoring (F-62), logs (F-63) with exports (F-64) and
on-demand reconciliation (F-61), statistics (F-66) and claims (F-67).

Everything is seen from the customs territory of the site's administration (g.tenant); the
logs respect the visibility rule (R-04). Jobs and claims of another administration are a 404.
"""

from __future__ import annotations

import os

from flask import abort, current_app, g, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from jobs import monitoring as tasks
from jobs.runtime import enqueue
from portal.blueprints.monitoring import bp
from portal.db import now_utc
from portal.domain import DomainError, NotFound, archive
from portal.domain import claims as claim_domain
from portal.domain import exports as export_domain
from portal.domain import jobs as domain_jobs
from portal.domain import logs as log_domain
from portal.domain import reconciliation as rec
from portal.domain import statistics as stats
from portal.domain import transits as transit_domain
from portal.domain.visibility import history_seen_by
from portal.extensions import db, limiter
from portal.models import Carnet, Office
from portal.models.jobs import Job
from portal.models.monitoring import Claim, ClaimEvidence
from portal.tenancy import get_for_tenant_or_404, tenant_select
from portal.web import (
    audit_request,
    bounded_int,
    page_arg,
    permission_required,
    redirect_to,
    render_page,
)


def _territory() -> int:
    return g.tenant.territory_id


def _today():
    return now_utc().date()


def _offices() -> list[Office]:
    return list(db.session.scalars(tenant_select(Office).order_by(Office.name)))


def _carnet_or_404(carnet_id) -> Carnet:
    """A carnet by its id from a URL or form (reference data seen by every administration);
    no such carnet, or not a number, is a 404."""
    try:
        carnet = db.session.get(Carnet, bounded_int(carnet_id))
    except (TypeError, ValueError):
        carnet = None
    if carnet is None:
        abort(404)
    return carnet


def _limits() -> claim_domain.Limits:
    return claim_domain.Limits.from_config(current_app.config)


# --- transit monitoring (F-62) -------------------------------------------------------------


@bp.get("/monitoring/transits")
@permission_required("transit_monitoring")
def transits():
    state = request.args.get("state", "")
    state = state if state in transit_domain.STATES else ""
    page = transit_domain.transits(
        db.session, _territory(), _today(), state=state, page=page_arg(), customs_id=g.tenant.id
    )
    return render_page(
        "monitoring/transits.html",
        block="results",
        page=page,
        state=state,
        labels=transit_domain.STATE_LABELS,
    )


@bp.get("/monitoring/transits/<int:open_id>")
@permission_required("transit_monitoring")
def transit_detail(open_id: int):
    view = transit_domain.transit(
        db.session, _territory(), bounded_int(open_id), _today(), customs_id=g.tenant.id
    )
    if view is None:
        abort(404)
    return render_template("monitoring/transit_detail.html", t=view)


# --- logs (F-63) ---------------------------------------------------------------------------


@bp.get("/monitoring/logs")
@permission_required("logs")
def logs():
    tab = "transactions" if request.args.get("tab") == "transactions" else "carnets"
    f = log_domain.parse_filters(request.args)
    carnets: dict = {}
    cursor = {"after": request.args.get("after"), "before": request.args.get("before")}
    if tab == "carnets":
        page = log_domain.carnets_page(db.session, _territory(), f, _today(), **cursor)
    else:
        page = log_domain.transactions_page(db.session, _territory(), f, g.tenant.id, **cursor)
        carnets = {
            c.id: c
            for c in db.session.scalars(
                select(Carnet).where(Carnet.id.in_({t.carnet_id for t in page.items}))
            )
        }
    return render_page(
        "monitoring/logs.html",
        block="results",
        status=422 if f.errors else 200,
        tab=tab,
        f=f,
        page=page,
        carnets=carnets,
        offices=_offices(),
        labels=rec.STATUS_LABELS,
        kinds=log_domain.KIND_LABELS,
        item_ranges=rec.item_ranges,
        last_run=rec.last_run(db.session),
        run_kinds=RUN_KINDS,
        # the lists show live data: a search naming an archived carnet gets a note
        archived=archive.archived_match(db.session, f.q, _territory()),
    )


@bp.get("/monitoring/logs/carnets/<int:carnet_id>")
@permission_required("logs")
def carnet_transactions(carnet_id: int):
    carnet = _carnet_or_404(carnet_id)
    t = archive.store_of(carnet).txn  # an archived carnet's history reads the archive
    if not db.session.scalar(
        select(t.id).where(t.carnet_id == carnet.id, t.territory_id == _territory()).limit(1)
    ):
        abort(404)
    carnet_id = carnet.id
    history = history_seen_by(db.session, carnet_id, _territory(), g.tenant.id)
    ctx = dict(
        carnet=carnet,
        history=history,
        kinds=log_domain.KIND_LABELS,
        item_ranges=rec.item_ranges,
        recon_status=rec.status_for(db.session, carnet, _territory(), _today()),
        lines=rec.lines_for(db.session, carnet_id, _territory()),
        obligations=rec.OBLIGATION_LABELS,
        labels=rec.STATUS_LABELS,
        claim=db.session.scalar(
            tenant_select(Claim)
            .where(Claim.carnet_id == carnet_id)
            .order_by(Claim.id.desc())
            .limit(1)
        ),
    )
    return render_page(
        "monitoring/carnet.html", fragment="monitoring/_carnet_transactions.html", **ctx
    )


@bp.get("/monitoring/logs/transactions/<int:transaction_id>")
@permission_required("logs")
def transaction_detail(transaction_id: int):
    try:
        txn = log_domain.get_visible_transaction(
            db.session, _territory(), bounded_int(transaction_id), g.tenant.id
        )
    except NotFound:
        abort(404)
    carnet = db.session.get(Carnet, txn.carnet_id)
    return render_template(
        "monitoring/transaction.html",
        t=txn,
        carnet=carnet,
        kind_label=log_domain.KIND_LABELS.get(txn.kind, txn.kind),
        goods=rec.item_ranges(i.item_no for i in txn.items),
        receipt=request.args.get("receipt") == "1",
    )


# --- jobs: reconciliation on demand (F-61) and exports (F-64) ---------------------------------


def _start(kind: str, params: dict, task) -> Job:
    job = domain_jobs.create_job(
        db.session, kind, customs_id=g.tenant.id, account_id=current_user.id, params=params
    )
    audit_request(f"monitoring.{kind}", object_type="job", object_id=str(job.id))
    db.session.commit()
    enqueue(task, job.id)
    return job


def _job_redirect(job: Job):
    return redirect_to(url_for("monitoring.job", job_id=job.id))


@bp.post("/monitoring/reconcile")
@permission_required("logs")
@limiter.limit("10 per hour")
def reconcile():
    job = _start(tasks.RECONCILE, {"full": False}, tasks.reconcile)
    return _job_redirect(job)


@bp.post("/monitoring/exports/list")
@permission_required("logs")
@limiter.limit("60 per hour")
def export_list():
    view = "transactions" if request.form.get("view") == "transactions" else "carnets"
    f = log_domain.parse_filters(request.form)
    job = _start(
        tasks.EXPORT_LIST,
        {
            "view": view,
            "filters": f.as_params(),
            "territory_id": _territory(),
            "today": _today().isoformat(),
        },
        tasks.export_list,
    )
    return _job_redirect(job)


@bp.post("/monitoring/exports/transactions")
@permission_required("logs")
@limiter.limit("60 per hour")
def export_transactions():
    raw = request.form.getlist("ids")
    ids = sorted({int(x) for x in raw if x.isascii() and x.isdigit() and len(x) < 10})
    try:
        log_domain.check_selection(ids, export_domain.ZIP_LIMIT)
    except DomainError as exc:
        return render_template("monitoring/export_error.html", error=exc.message), 422
    job = _start(
        tasks.EXPORT_TRANSACTIONS,
        {"transaction_ids": ids, "territory_id": _territory()},
        tasks.export_transactions,
    )
    return _job_redirect(job)


# what the pages call the reconciliation runs, the jobs, a claim's events and evidence (F-83)
RUN_KINDS = {"full": _l("full"), "incremental": _l("incremental")}
JOB_TITLES = {
    "export_list": _l("Export list"),
    "export_transactions": _l("Export transactions"),
    "reconciliation": _l("Reconciliation"),
}
CLAIM_EVENTS = {
    "opened": _l("opened"),
    "answered": _l("answered"),
    "evidence": _l("evidence sent"),
    "provisional_payment": _l("provisional payment"),
    "settled": _l("settled"),
    "withdrawn": _l("withdrawn"),
}
EVIDENCE_KINDS = {
    "document": _l("document"),
    "certificate_of_location": _l("certificate of location"),
}

# the jobs these pages show: the administration's exports and reconciliations (another is a 404)
MONITORING_JOB = or_(Job.kind.startswith("export_"), Job.kind.startswith("reconciliation"))


@bp.get("/monitoring/jobs/<int:job_id>")
@permission_required("logs")
def job(job_id: int):
    job = get_for_tenant_or_404(Job, job_id, MONITORING_JOB)
    ttl = int(current_app.config.get("EXPORT_TTL_HOURS", 24))
    return render_page(
        "monitoring/job.html",
        fragment="monitoring/_job.html",
        job=job,
        job_title=JOB_TITLES.get(job.kind) or job.kind.replace("_", " ").capitalize(),
        expires_at=export_domain.expires_at(job.finished_at, ttl),
    )


@bp.get("/monitoring/jobs/<int:job_id>/download")
@permission_required("logs")
def download(job_id: int):
    job = get_for_tenant_or_404(Job, job_id, MONITORING_JOB)
    if job.status != "done" or not job.result_path:
        abort(404)
    root = os.path.realpath(current_app.config["STORAGE_DIR"])
    path = os.path.realpath(os.path.join(root, job.result_path))
    if not path.startswith(root + os.sep) or not os.path.exists(path):
        abort(404)
    return send_file(path, as_attachment=True, download_name=os.path.basename(path))


# --- statistics (F-66) ---------------------------------------------------------------------


@bp.get("/monitoring/statistics")
@permission_required("statistics")
def statistics():
    t = _territory()
    charts = [
        ("by-year", _("Transactions by year"), stats.transactions_by_year(db.session, t)),
        ("countries", _("Carnet issuing countries"), stats.issuing_countries(db.session, t)),
        ("claims", _("Carnet potential claims"), stats.potential_claims(db.session, t, _today())),
    ]
    return render_template(
        "monitoring/statistics.html",
        charts=[(key, title, pairs, stats.bars(pairs)) for key, title, pairs in charts],
    )


# --- claims (F-67) -------------------------------------------------------------------------


@bp.get("/monitoring/claims")
@permission_required("logs")
def claims():
    rows = list(db.session.scalars(tenant_select(Claim).order_by(Claim.id.desc()).limit(200)))
    carnets = {
        c.id: c
        for c in db.session.scalars(
            select(Carnet).where(Carnet.id.in_({c.carnet_id for c in rows}))
        )
    }
    today, limits = _today(), _limits()
    return render_template(
        "monitoring/claims.html",
        rows=rows,
        carnets=carnets,
        overdue={
            c.id for c in rows if claim_domain.is_overdue(c, carnets[c.carnet_id], limits, today)
        },
        labels=claim_domain.STATUS_LABELS,
    )


@bp.post("/monitoring/claims")
@permission_required("logs")
def open_claim():
    carnet = _carnet_or_404(request.form.get("carnet_id", ""))
    try:
        claim = claim_domain.open_claim(
            db.session,
            customs_id=g.tenant.id,
            territory_id=_territory(),
            account=current_user,
            carnet=carnet,
            reason=request.form.get("reason", ""),
            import_duties=request.form.get("import_duties", "0"),
            limits=_limits(),
        )
    except DomainError as exc:
        db.session.rollback()
        return render_template(
            "monitoring/claim_new.html", carnet=carnet, error=exc, form=request.form
        ), 422
    audit_request("monitoring.claim_opened", object_type="claim", object_id=str(claim.id))
    db.session.commit()
    return redirect_to(url_for("monitoring.claim", claim_id=claim.id))


@bp.get("/monitoring/claims/new/<int:carnet_id>")
@permission_required("logs")
def new_claim(carnet_id: int):
    carnet = _carnet_or_404(carnet_id)
    return render_template("monitoring/claim_new.html", carnet=carnet, error=None, form={})


@bp.get("/monitoring/claims/<int:claim_id>")
@permission_required("logs")
def claim(claim_id: int):
    c = get_for_tenant_or_404(Claim, claim_id)
    return _render_claim(c)


def _render_claim(c: Claim, error=None, status: int = 200):
    carnet = db.session.get(Carnet, c.carnet_id)
    return render_template(
        "monitoring/claim.html",
        claim=c,
        carnet=carnet,
        error=error,
        deadlines=claim_domain.deadlines(c, carnet, _limits(), _today()),
        cap=claim_domain.liability_cap(c),
        labels=claim_domain.STATUS_LABELS,
        obligations=rec.OBLIGATION_LABELS,
        event_labels=CLAIM_EVENTS,
        evidence_labels=EVIDENCE_KINDS,
    ), status


@bp.post("/monitoring/claims/<int:claim_id>/<action>")
@permission_required("logs")
def claim_action(claim_id: int, action: str):
    c = get_for_tenant_or_404(Claim, claim_id)
    text = request.form.get("text", "")
    try:
        if action == "settle":
            claim_domain.settle(db.session, c, current_user, text)
        elif action == "withdraw":
            claim_domain.withdraw(db.session, c, current_user, text)
        elif action == "provisional-payment":
            claim_domain.record_provisional_payment(db.session, c, current_user)
        else:
            abort(404)
    except DomainError as exc:
        db.session.rollback()
        return _render_claim(c, exc, 409 if exc.status == 409 else 422)
    audit_request(
        f"monitoring.claim_{action.replace('-', '_')}", object_type="claim", object_id=str(c.id)
    )
    db.session.commit()
    return redirect_to(url_for("monitoring.claim", claim_id=c.id))


@bp.get("/monitoring/claims/<int:claim_id>/evidence/<int:evidence_id>")
@permission_required("logs")
def claim_evidence(claim_id: int, evidence_id: int):
    c = get_for_tenant_or_404(Claim, claim_id)
    ev = get_for_tenant_or_404(ClaimEvidence, evidence_id, parent=(ClaimEvidence.claim_id, c))
    root = os.path.realpath(current_app.config["STORAGE_DIR"])
    path = os.path.realpath(os.path.join(root, ev.path))
    if not path.startswith(root + os.sep) or not os.path.exists(path):
        abort(404)
    return send_file(path, mimetype=ev.content_type, as_attachment=True, download_name=ev.filename)
