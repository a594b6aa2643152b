"""RQ task functions: thin wrappers over portal.domain. They take ids, declare their queue,
time limit and retries beside them, are safe to run twice and always leave a final state."""

from __future__ import annotations

import datetime as dt
import logging

from flask_babel import gettext, ngettext

from jobs.runtime import job_session, run_tracked, storage_path, task
from portal.i18n import fmt_number

log = logging.getLogger(__name__)


@task(queue="default", timeout=30 * 60, retry=(2, [10, 60]))
def import_bulk_session(job_id: int) -> None:
    """Create the valid rows of a bulk creation session (F-16) in one transaction."""
    from portal.domain import bulk

    def work(session, job, progress):
        result, message = bulk.import_session(session, job.params["bulk_session_id"], progress)
        path = write_import_report(session, job.id, job.params["bulk_session_id"])
        return result, message, path

    run_tracked(job_id, work, on_failure=bulk.release_after_failure)
    drain_outbox_soon()


def write_import_report(session, job_id: int, bulk_session_id: int) -> str:
    """The result report as .xlsx under STORAGE_DIR: every row, created or why not."""
    from openpyxl import Workbook

    from portal.domain import bulk
    from portal.domain.cells import safe_cell
    from portal.models.bulk import BulkSession

    bs = session.get(BulkSession, bulk_session_id)
    spec = bulk.spec_of(bs.kind)
    relative = f"jobs/{job_id}/import-report-{bs.kind}.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(gettext("Report"))
    ws.append(
        [gettext("Row"), gettext("Result"), gettext("Created id"), gettext("Errors")]
        + [str(c.header) for c in spec.columns]
    )
    created, not_imported = gettext("created"), gettext("not imported")
    for row in bulk.report_rows(session, bs):
        status = created if row.imported_id else not_imported
        errors = " ".join((row.errors or {}).values())
        ws.append(
            [row.row_number, status, row.imported_id, errors]
            + [safe_cell(row.data.get(c.key, "")) for c in spec.columns]
        )
    wb.save(storage_path(relative))
    return relative


@task(queue="default", timeout=15 * 60, retry=(2, [10, 60]))
def export_accounts(job_id: int) -> None:
    """The accounts of a list, as its filters and its user's reach select them (F-14)."""
    from sqlalchemy import func, select

    from portal.domain import organisation
    from portal.models import Account

    def work(session, job, progress):
        actor = session.get(Account, job.account_id)
        if actor is None or actor.customs_id != job.customs_id:
            raise RuntimeError("The account that asked for this export no longer exists.")
        stmt = organisation.account_list(actor, **job.params["filters"])
        total = min(
            session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0,
            organisation.EXPORT_LIMIT,
        )
        progress(0, total, gettext("Writing the accounts…"), force=True)
        relative = f"exports/{job.id}/eata-accounts.xlsx"
        n = organisation.write_accounts_xlsx(
            storage_path(relative), organisation.account_rows(session, stmt), total, progress
        )
        message = ngettext(
            "%(count)s account exported.", "%(count)s accounts exported.", n, count=fmt_number(n)
        )
        return {"rows": n}, message, relative

    run_tracked(job_id, work)


def drain_outbox_soon() -> None:
    """Send the invitations just written: a first batch inline (the embedded default; the
    scheduler or `flask outbox drain` sends the rest), or a drain job on the outbox queue."""
    from jobs.runtime import enqueue, get_app

    inline = get_app().config.get("JOBS_INLINE", True)
    enqueue(drain_outbox, 200) if inline else enqueue(drain_outbox)


@task(queue="high", timeout=30 * 60)
def drain_outbox(limit: int = 20_000) -> dict:
    """Send up to `limit` due outbox messages, once each (claimed in batches; failures are
    retried later)."""
    from portal.domain import outbox

    counts = {"sent": 0, "failed": 0}
    with job_session() as session:
        while counts["sent"] + counts["failed"] < limit:
            batch = outbox.drain(
                session,
                send_outbox_message,
                limit=min(200, limit - counts["sent"] - counts["failed"]),
            )
            counts = {k: counts[k] + batch[k] for k in counts}
            if not (batch["sent"] or batch["failed"]):
                break
    if counts["sent"] or counts["failed"]:
        log.info("outbox: %(sent)s sent, %(failed)s failed", counts)
    return counts


def send_outbox_message(session, message) -> None:
    """Deliver one outbox message with portal.mail.send_mail."""
    from flask import current_app

    from portal.mail import send_mail

    config = current_app.config
    if message.kind == "email":
        send_mail(config, message.recipient, message.subject, message.body)
        return
    if message.kind == "account_invitation":
        subject, body = render_invitation(session, message)
        if body:
            send_mail(config, message.recipient, subject, body)
        return
    if message.kind == "holder_notification":
        from portal.domain.outbox import deliver_holder_notification

        deliver_holder_notification(session, message)
        return
    raise ValueError(f"unknown outbox message kind {message.kind!r}")


def render_invitation(session, message) -> tuple[str, str | None]:
    """The same invitation as portal/blueprints/auth/emails.py sends, with a fresh single-use
    token issued in the drain's transaction. None when the account is gone or already set."""
    from flask import current_app

    from portal.blueprints.auth.emails import invitation_text
    from portal.domain.tokens import issue_token
    from portal.models import Account, CustomsAdministration
    from portal.tenancy import site_url

    account = session.get(Account, (message.payload or {}).get("account_id"))
    if account is None or not account.active or account.password_hash:
        return "", None
    days = (message.payload or {}).get("days") or current_app.config["INVITATION_DAYS"]
    raw = issue_token(session, account, "invite", dt.timedelta(days=days))
    administration = session.get(CustomsAdministration, account.customs_id)
    link = site_url("customs", administration.code, f"/set-password/{raw}")
    return invitation_text(account, days, link, administration)


@task(queue="high", timeout=5 * 60)
def requeue_waiting_jobs() -> int:
    """Queue the jobs users asked for while Redis was unreachable."""
    from jobs.runtime import requeue_waiting

    return requeue_waiting()


@task(queue="low", timeout=5 * 60)
def audit_checkpoint() -> int | None:
    """Hourly: sign the heads of the audit chains (docs/evidence.md); the checkpoint's id, or
    None when nothing was written since the last one."""
    from portal.domain import audit_chain

    with job_session() as session:
        cp = audit_chain.checkpoint(session)
        session.commit()
        return cp.id if cp is not None else None


@task(queue="low", timeout=10 * 60)
def fail_stale_jobs(max_hours: int = 2) -> int:
    """Mark jobs whose worker died as failed, and give their sessions back to the user."""
    from portal.domain import bulk
    from portal.domain import jobs as domain_jobs

    with job_session() as session:
        stale = domain_jobs.fail_stale_jobs(session, dt.timedelta(hours=max_hours))
        for job in stale:
            if job.kind.startswith("bulk_"):
                bulk.release_after_failure(session, job.id)
        session.commit()
    return len(stale)


@task(queue="low", timeout=30 * 60)
def cleanup(keep_days: int = 30) -> dict:
    """Daily: forget finished jobs, their result files and sent messages after `keep_days`."""
    import os

    from flask import current_app
    from sqlalchemy import select

    from portal.db import now_utc
    from portal.domain import outbox
    from portal.models.bulk import BulkSession
    from portal.models.jobs import Job

    limit = now_utc() - dt.timedelta(days=keep_days)
    with job_session() as session:
        storage = current_app.config["STORAGE_DIR"]
        in_use = set(
            session.scalars(select(BulkSession.job_id).where(BulkSession.job_id.is_not(None)))
        )
        old = [
            j
            for j in session.scalars(select(Job).where(Job.finished_at < limit))
            if j.id not in in_use
        ]
        for job in old:
            if job.result_path:
                path = os.path.realpath(os.path.join(storage, job.result_path))
                if path.startswith(os.path.realpath(storage) + os.sep) and os.path.exists(path):
                    os.remove(path)
            session.delete(job)
        purged = outbox.purge_sent(session, dt.timedelta(days=keep_days))
        session.commit()
    return {"jobs": len(old), "messages": purged}
