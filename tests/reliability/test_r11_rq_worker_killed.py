"""R-11: RQ workers killed (SIGKILL: worker, work horse, its scheduler) in the middle of a bulk import, an
accounts export and a reconciliation: nothing of the killed attempt is committed, RQ finds the
abandoned jobs when a worker starts again and runs them again (their retries), and each
job's effects happen once — every imported account once, no half import, one export file
with every account once, one reconciliation run.

Each job is caught mid-work deterministically: once the import and the export recorded their
first progress, the test locks their job rows, so their next progress write (or their final
commit) waits; the reconciliation waits for the table of its scope, which the test locked,
after inserting its run row. Each work's own transaction is open with what it wrote so far
(accounts created, rows written to the file, the run row inserted).
The three jobs run at once on three workers, so one wait for RQ's heartbeat to expire covers
them all.
"""

from __future__ import annotations

import io
import os
import secrets
import signal
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from portal.extensions import db
from portal.models import Account, AuditEvent, CustomsAdministration, OutboxMessage
from portal.models.bulk import BulkSession
from portal.models.jobs import Job
from portal.models.monitoring import ReconciliationRun
from tests.reliability.procs import children_of, low_queue_idle, stop_group, wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(600)]

ROWS = 700  # accounts of the bulk import: progress is written every 500 rows


def _admin(world, cc: str = "be"):
    s = world.session
    customs = s.scalar(select(CustomsAdministration).where(CustomsAdministration.code == cc))
    admin = s.scalar(
        select(Account).where(Account.customs_id == customs.id, Account.role == "admin")
    )
    return customs, admin


def _bulk_session(world, domain: str) -> BulkSession:
    from portal.domain import bulk
    from portal.models import Office

    s = world.session
    customs, admin = _admin(world)
    offices = list(s.scalars(select(Office.name).where(Office.customs_id == customs.id)))
    wb = load_workbook(io.BytesIO(bulk.build_template(s, customs, "account", ROWS + 10)))
    ws = wb["Accounts"]
    roles = ["Officer", "Officer", "Controller"]
    for i in range(ROWS):
        ws.append(
            [
                f"Officer {i:05d}",
                f"officer{i:05d}@{domain}",
                roles[i % len(roles)],
                offices[i % len(offices)],
                None,
                "Yes",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    bs = bulk.upload(s, customs, admin, "account", "killed.xlsx", out.getvalue())
    s.commit()
    assert bs.row_count == ROWS and bs.error_count == 0, (bs.row_count, bs.error_count)
    return bs


def _job(job_id: int) -> Job:
    with db.new_session() as s:
        job = s.get(Job, job_id)
        s.expunge(job)
        return job


def _counts(domain: str, bs_id: int, run_job_id: int) -> dict:
    with db.new_session() as s:
        ids = list(s.scalars(select(Account.id).where(Account.email.like(f"%@{domain}"))))
        return {
            "accounts": len(ids),
            "distinct_emails": s.scalar(
                select(func.count(func.distinct(Account.email))).where(
                    Account.email.like(f"%@{domain}")
                )
            ),
            "audit": s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.action == "account.created",
                    AuditEvent.object_id.in_([str(i) for i in ids] or ["-"]),
                )
            ),
            "invitations": s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.kind == "account_invitation",
                    OutboxMessage.recipient.like(f"%@{domain}"),
                )
            ),
            "bulk_status": s.get(BulkSession, bs_id).status,
            "bulk_imported": s.get(BulkSession, bs_id).imported_count,
            "runs": s.scalar(
                select(func.count())
                .select_from(ReconciliationRun)
                .where(ReconciliationRun.job_id == run_job_id)
            ),
        }


def _wait_running(job_id: int, message: str | None = None) -> None:
    def ready():
        job = _job(job_id)
        assert job.status in ("queued", "running"), (job.status, job.message, job.error)
        return job.status == "running" and (message is None or job.message == message)

    wait_for(ready, 90, f"job {job_id} running" + (f" at {message!r}" if message else ""), 0.01)


def _waiting_on_locks(conn) -> int:
    return conn.execute(
        text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    ).scalar()


def _kill(proc) -> None:
    """SIGKILL the RQ worker and its work horse (a process group of its own)."""
    for pid in children_of(proc.pid):
        os.kill(pid, signal.SIGKILL)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _heartbeats_expired(stack) -> bool:
    """RQ counts a job abandoned once its worker's heartbeat expired (about 90 s)."""
    import redis

    r = redis.Redis(port=stack.redis.port)
    scores = [
        score
        for key in r.scan_iter("rq:wip:*")
        for _, score in r.zrange(key, 0, -1, withscores=True)
    ]
    return all(score < time.time() - 1 for score in scores)


def _rq_state(jobs: dict) -> dict:
    """Where each job is, for the failure message."""
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    from jobs.runtime import queue

    state = {
        n: (j.status, j.message, j.attempts) for n, j in ((n, _job(i)) for n, i in jobs.items())
    }
    for name in ("high", "default", "low"):
        q = queue(name)
        state[name] = {
            "queued": len(q),
            "scheduled": ScheduledJobRegistry(queue=q).get_job_ids(),
            "started": StartedJobRegistry(queue=q).get_job_ids(),
        }
    return state


def test_r11_rq_worker_killed_mid_import_export_and_reconciliation_reruns_once(healthy, world):
    from jobs.monitoring import RECONCILE, reconcile
    from jobs.runtime import enqueue
    from jobs.tasks import export_accounts, import_bulk_session
    from portal.domain import bulk
    from portal.domain import jobs as domain_jobs

    stack = healthy
    domain = f"killed-{secrets.token_hex(3)}.example"
    bs = _bulk_session(world, domain)
    s = world.session
    customs, admin = _admin(world)
    import_job = bulk.begin_import(s, bs, admin)
    export_job = domain_jobs.create_job(
        s, "export_accounts", customs_id=customs.id, account_id=admin.id, params={"filters": {}}
    )
    run_job = domain_jobs.create_job(s, RECONCILE, customs_id=customs.id, params={"full": True})
    s.commit()
    jobs = {"import": import_job.id, "export": export_job.id, "reconcile": run_job.id}

    wait_for(low_queue_idle, 120, "the daily reconciliation of the stack's start done", 0.5)
    # three workers, so the three jobs run at the same time
    extra = [stack.spawn_worker(f"worker-extra-{i}") for i in (1, 2)]
    lock = db.engine.connect()
    try:
        trx = lock.begin()
        # the reconciliation, once it inserted its run row, waits to fill its scope
        lock.execute(text("LOCK TABLE reconciliation_scope IN EXCLUSIVE MODE"))
        for job_id, (task, message) in zip(
            jobs.values(),
            (
                (import_bulk_session, "Checking the rows again…"),
                (export_accounts, "Writing the accounts…"),
                (reconcile, None),
            ),
            strict=True,
        ):
            enqueue(task, job_id)
            _wait_running(job_id, message)
            if message:
                # the job's next write of its row waits for this lock: held mid-work
                lock.execute(text("SELECT id FROM job WHERE id = :id FOR UPDATE"), {"id": job_id})
        try:
            wait_for(lambda: _waiting_on_locks(lock) >= 3, 60, "the jobs held mid-work", 0.05)
        except TimeoutError:
            activity = lock.execute(
                text(
                    "SELECT state, wait_event_type, wait_event, left(query, 80) "
                    "FROM pg_stat_activity WHERE datname = current_database()"
                )
            ).all()
            jobs_now = {
                n: (j.status, j.message) for n, j in ((n, _job(i)) for n, i in jobs.items())
            }
            raise AssertionError((jobs_now, activity)) from None
        assert {n: _job(i).status for n, i in jobs.items()} == dict.fromkeys(jobs, "running")

        for proc in (stack.worker, *extra):
            _kill(proc)
        trx.rollback()
    finally:
        lock.close()
        for proc in extra:
            stop_group(proc)

    # nothing of the killed attempts is committed: no account, no run, the jobs still running
    def settled():
        with db.engine.connect() as conn:
            return _waiting_on_locks(conn) == 0

    wait_for(settled, 30, "the killed work rolled back")
    assert _counts(domain, bs.id, run_job.id) == {
        "accounts": 0,
        "distinct_emails": 0,
        "audit": 0,
        "invitations": 0,
        "bulk_status": "importing",
        "bulk_imported": 0,
        "runs": 0,
    }
    assert {n: _job(i).status for n, i in jobs.items()} == dict.fromkeys(jobs, "running")

    # a worker started once RQ's heartbeat of the dead one expired finds the abandoned jobs
    # and retries them (import and export after 10 s, the reconciliation after 60 s)
    wait_for(lambda: _heartbeats_expired(stack), 150, "the dead workers' heartbeats expired", 1)
    stack.ensure_up()
    # a second worker, so the retries do not wait behind the invitations' outbox drain
    helper = stack.spawn_worker("worker-after")
    try:
        wait_for(
            lambda: all(_job(i).status in ("done", "failed") for i in jobs.values()),
            240,
            "the abandoned jobs run again",
            1,
        )
    except TimeoutError:
        raise AssertionError(_rq_state(jobs)) from None
    finally:
        stop_group(helper)
    final = {n: _job(i) for n, i in jobs.items()}
    assert {n: j.status for n, j in final.items()} == dict.fromkeys(jobs, "done"), {
        n: (j.status, j.message, j.error) for n, j in final.items()
    }
    assert all(j.attempts >= 2 for j in final.values()), {n: j.attempts for n, j in final.items()}

    # each job's effects happened once
    assert _counts(domain, bs.id, run_job.id) == {
        "accounts": ROWS,
        "distinct_emails": ROWS,
        "audit": ROWS,
        "invitations": ROWS,
        "bulk_status": "cleaning",  # ready for the rows left, none here
        "bulk_imported": ROWS,
        "runs": 1,
    }
    export = final["export"]
    wb = load_workbook(os.path.join(stack.storage, export.result_path), read_only=True)
    emails = [row[1] for row in list(wb.active.iter_rows(values_only=True))[1:]]
    assert len(emails) == len(set(emails)) == export.result["rows"]
    assert sum(e.endswith(f"@{domain}") for e in emails) in (0, ROWS)
