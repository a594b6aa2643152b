"""RQ tasks of the monitoring area (F-61, F-62, F-64): the daily reconciliation and transit
refresh, and the exports. They take ids only, keep their job row truthful (run_tracked), are
safe to run twice and are retried on failure."""

from __future__ import annotations

import datetime as dt
import logging
import os

from flask_babel import gettext, ngettext

from jobs.runtime import job_session, run_tracked, storage_path, task
from portal.i18n import fmt_number

log = logging.getLogger(__name__)

RECONCILE = "reconciliation"
EXPORT_LIST = "export_list"
EXPORT_TRANSACTIONS = "export_transactions"
ARCHIVE = "archive"


@task(queue="low", timeout=60 * 60, retry=(2, [60, 300]))
def reconcile(job_id: int) -> None:
    """On demand (a controller's button): an incremental run, or a full one if asked."""
    from portal.domain import reconciliation

    def work(session, job, progress):
        result = reconciliation.run(
            session, full=bool((job.params or {}).get("full")), job_id=job.id, progress=progress
        )
        return (
            {
                "run_id": result.run_id,
                "kind": result.kind,
                "carnets": result.carnets,
                "to_check": result.to_check,
            },
            ngettext(
                "%(count)s carnet reconciled (%(kind)s), %(check)s to check.",
                "%(count)s carnets reconciled (%(kind)s), %(check)s to check.",
                result.carnets,
                count=fmt_number(result.carnets),
                kind=result.kind,
                check=fmt_number(result.to_check),
            ),
        )

    run_tracked(job_id, work)


@task(queue="low", timeout=60 * 60, retry=(2, [60, 300]))
def daily_reconciliation() -> None:
    """Daily at 05:00 UTC: a system job (no administration) running the incremental
    reconciliation and transit refresh, then removing expired export files."""
    from portal.domain import jobs as domain_jobs

    with job_session() as session:
        job = domain_jobs.create_job(session, RECONCILE, params={"full": False})
        session.commit()
        job_id = job.id
    reconcile(job_id)
    purge_expired_exports()


@task(queue="low", timeout=6 * 60 * 60, retry=(2, [60, 300]))
def daily_archive() -> None:
    """Daily at 04:00 UTC (before the reconciliation): a system job moving the closed carnets
    older than ARCHIVE_AFTER_DAYS to the archive tables, one database transaction per batch
    (portal/domain/archive.py); nothing when the setting is 0."""
    from portal.domain import archive
    from portal.domain import jobs as domain_jobs

    if archive.after_days() is None:
        return
    with job_session() as session:
        job = domain_jobs.create_job(session, ARCHIVE, params={"days": archive.after_days()})
        session.commit()
        job_id = job.id
    archive_closed(job_id)


@task(queue="low", timeout=6 * 60 * 60, retry=(2, [60, 300]))
def archive_closed(job_id: int) -> None:
    """The archive run of a job row (safe to run again: archived carnets are not selected
    again, and each batch is all or nothing)."""
    from portal.db import now_utc
    from portal.domain import archive

    def work(session, job, progress):
        days = (job.params or {}).get("days") or archive.after_days()
        total = archive.plan(session, now_utc().date(), days).carnets if days else 0

        def report(done):
            message = gettext("Archiving closed carnets…")
            progress(done.carnets, max(total, done.carnets), message, force=True)

        result = archive.run(session, days=days or 0, progress=report)
        return (
            {"carnets": result.carnets, "transactions": result.transactions},
            ngettext(
                "%(count)s closed carnet archived (%(transactions)s transactions).",
                "%(count)s closed carnets archived (%(transactions)s transactions).",
                result.carnets,
                count=fmt_number(result.carnets),
                transactions=fmt_number(result.transactions),
            ),
        )

    run_tracked(job_id, work)


def purge_expired_exports() -> int:
    """Remove export files older than EXPORT_TTL_HOURS (the job row stays, marked expired)."""
    from flask import current_app
    from sqlalchemy import select

    from portal.db import now_utc
    from portal.models.jobs import Job

    removed = 0
    with job_session() as session:
        hours = int(current_app.config.get("EXPORT_TTL_HOURS", 24))
        limit = now_utc() - dt.timedelta(hours=hours)
        root = os.path.realpath(current_app.config["STORAGE_DIR"])
        for job in session.scalars(
            select(Job).where(
                Job.kind.in_((EXPORT_LIST, EXPORT_TRANSACTIONS)),
                Job.finished_at < limit,
                Job.result_path.is_not(None),
            )
        ):
            path = os.path.realpath(os.path.join(root, job.result_path))
            if path.startswith(root + os.sep) and os.path.exists(path):
                os.remove(path)
                removed += 1
            job.result_path = None
            job.message = gettext("The file has expired.")
        session.commit()
    return removed


@task(queue="default", timeout=15 * 60, retry=(2, [10, 60]))
def export_list(job_id: int) -> None:
    from portal.domain import exports, logs

    def work(session, job, progress):
        p = job.params
        f = logs.parse_filters(p["filters"])
        headers, rows = exports.list_rows(
            session,
            p["view"],
            p["territory_id"],
            f,
            dt.date.fromisoformat(p["today"]),
            job.customs_id,
        )
        relative = f"exports/{job.id}/eata-{p['view']}.xlsx"
        n = exports.write_xlsx(storage_path(relative), headers, rows, progress)
        message = ngettext(
            "%(count)s row exported.", "%(count)s rows exported.", n, count=fmt_number(n)
        )
        return {"rows": n}, message, relative

    run_tracked(job_id, work)


@task(queue="default", timeout=15 * 60, retry=(2, [10, 60]))
def export_transactions(job_id: int) -> None:
    from portal.domain import exports, logs

    def work(session, job, progress):
        p = job.params
        ids = logs.visible_transaction_ids(session, p["territory_id"], p["transaction_ids"])
        relative = f"exports/{job.id}/eata-transactions.zip"
        n = exports.write_zip(
            session,
            storage_path(relative),
            ids[: exports.ZIP_LIMIT],
            render_transaction_pdf,
            progress,
            customs_id=job.customs_id,
        )
        message = ngettext(
            "%(count)s transaction exported.",
            "%(count)s transactions exported.",
            n,
            count=fmt_number(n),
        )
        return {"transactions": n}, message, relative

    run_tracked(job_id, work)


def render_transaction_pdf(txn, carnet) -> bytes:
    """One transaction of the ZIP export as a PDF, with the restricted URL fetcher of every
    PDF (receipts.render_pdf: the application's static files, nothing else)."""
    from flask import current_app, render_template

    from portal.domain import receipts
    from portal.domain.logs import KIND_LABELS
    from portal.domain.reconciliation import item_ranges

    html = render_template(
        "monitoring/transaction_pdf.html",
        t=txn,
        carnet=carnet,
        kind_label=KIND_LABELS.get(txn.kind, txn.kind),
        goods=item_ranges(i.item_no for i in txn.items),
    )
    return receipts.render_pdf(html, current_app.static_folder)
