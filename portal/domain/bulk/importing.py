"""Importing a cleaning session (F-16): one job creates every valid row in one transaction
with its audit events and, for accounts, the invitations through the outbox."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.db import now_utc, rows_changed
from portal.domain import Conflict, DomainError, outbox
from portal.domain import audit as audit_log
from portal.domain import jobs as domain_jobs
from portal.domain.bulk.columns import spec_of
from portal.domain.bulk.rules import load_context, validate_all
from portal.domain.info import directory
from portal.i18n import fmt_number
from portal.models import Account, CustomsAdministration, Office, Region
from portal.models.bulk import BulkRow, BulkSession
from portal.models.jobs import Job


def begin_import(session: Session, bs: BulkSession, account: Account) -> Job:
    """Claim the session for one import (a double click starts one job) and create its job."""
    if bs.row_count - bs.imported_count <= 0:
        raise DomainError(_("There is nothing left to import in this session."))
    job = domain_jobs.create_job(
        session,
        f"bulk_{bs.kind}_import",
        customs_id=bs.customs_id,
        account_id=account.id,
        params={"bulk_session_id": bs.id},
    )
    claimed = rows_changed(
        session,
        update(BulkSession)
        .where(BulkSession.id == bs.id, BulkSession.status == "cleaning")
        .values(status="importing", job_id=job.id),
    )
    if claimed != 1:
        raise Conflict(_("An import of this session is already running."))
    session.refresh(bs)
    return job


def import_session(
    session: Session, bulk_session_id: int, progress: Callable[..., None] = lambda *a, **k: None
) -> tuple[dict, str]:
    """Create every valid row of the session in the caller's transaction (the job commits it
    together with its 'done' state). Rows with errors are left in the session and listed in
    the report. Running it again creates nothing twice: imported rows are marked."""
    bs = session.get(BulkSession, bulk_session_id)
    if bs is None:
        raise DomainError(_("The cleaning session no longer exists."))
    customs = session.get_one(CustomsAdministration, bs.customs_id)
    owner = session.get(Account, bs.account_id)
    spec = spec_of(bs.kind)
    rows = list(
        session.scalars(
            select(BulkRow)
            .where(BulkRow.bulk_session_id == bs.id, BulkRow.imported_id.is_(None))
            .order_by(BulkRow.row_number)
        )
    )
    total = len(rows)
    progress(0, total, _("Checking the rows again…"), force=True)
    ctx = load_context(session, customs)
    results = validate_all(ctx, spec, [r.data for r in rows])
    created: list[tuple[BulkRow, Region | Office | Account]] = []
    skipped = []
    for i, (row, (errs, values)) in enumerate(zip(rows, results, strict=True), start=1):
        if errs:
            row.errors, row.has_errors = errs, True
            skipped.append({"row": row.row_number, "errors": errs})
            continue
        row.errors, row.has_errors = None, False
        created.append((row, spec.create(session, customs.id, values)))
        if i % 500 == 0:
            session.flush()
            progress(
                i,
                total,
                _(
                    "Created %(done)s of %(total)s…",
                    done=fmt_number(len(created)),
                    total=fmt_number(total),
                ),
            )
    session.flush()
    actor = {
        "actor_type": "account",
        "actor_id": owner.id if owner else None,
        "actor_label": owner.email if owner else "",
        "customs_id": customs.id,
    }
    for row, obj in created:
        row.imported_id = obj.id
        audit_log.record(
            session,
            f"{spec.kind}.created",
            object_type=spec.kind,
            object_id=obj.id,
            data={"via": "bulk", "row": row.row_number},
            **actor,
        )
        if isinstance(obj, Office):
            directory.index_office(session, obj)  # the directory's search entry (F-81)
        if isinstance(obj, Account) and obj.active:
            outbox.add_account_invitation(
                session, obj.id, obj.email, customs.id, customs.invitation_days
            )
    audit_log.record(
        session,
        "bulk.imported",
        object_type="bulk_session",
        object_id=bs.id,
        data={"kind": spec.kind, "created": len(created), "skipped": len(skipped)},
        **actor,
    )
    bs.imported_count += len(created)
    bs.error_count = len(skipped)
    bs.status = "cleaning"
    bs.updated_at = now_utc()
    session.flush()
    progress(total, total, _("Saving…"), force=True)
    values = {
        "created": fmt_number(len(created)),
        "what": str(spec.title).lower(),
        "skipped": fmt_number(len(skipped)),
    }
    message = (
        _("%(created)s %(what)s created, %(skipped)s rows with errors not imported.", **values)
        if skipped
        else _("%(created)s %(what)s created.", **values)
    )
    return {
        "kind": spec.kind,
        "created": len(created),
        "skipped_count": len(skipped),
        "skipped": skipped[:200],
    }, message


def report_rows(session: Session, bs: BulkSession):
    """Every row of the session in sheet order, streamed (for the result report file)."""
    return session.scalars(
        select(BulkRow)
        .where(BulkRow.bulk_session_id == bs.id)
        .order_by(BulkRow.row_number)
        .execution_options(yield_per=1000)
    )


def release_after_failure(session: Session, job_id: int) -> None:
    """A failed import leaves the session as it was, ready to be fixed and imported again."""
    session.execute(
        update(BulkSession)
        .where(BulkSession.job_id == job_id, BulkSession.status == "importing")
        .values(status="cleaning")
    )


def job_of(session: Session, bs: BulkSession) -> Job | None:
    """The session's last import job (of the session's administration)."""
    if bs.job_id is None:
        return None
    return session.scalar(select(Job).where(Job.id == bs.job_id, Job.customs_id == bs.customs_id))
