"""The job row behind every background job a user waits for (DESIGN "Jobs").

A job moves queued → running → done | failed and always reaches a final state: the runner
marks it failed on any error, and `fail_stale_jobs` catches a worker that died mid-way.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.models.jobs import JOB_FINAL_STATES, Job


def create_job(
    session: Session,
    kind: str,
    *,
    customs_id: int | None = None,
    account_id: int | None = None,
    params: dict | None = None,
    message: str | None = None,
) -> Job:
    job = Job(
        kind=kind,
        customs_id=customs_id,
        account_id=account_id,
        params=params,
        status="queued",
        message=message or _("Waiting to start…"),
    )
    session.add(job)
    session.flush()
    return job


def start_job(session: Session, job_id: int) -> Job | None:
    """Mark the job running; None when it is unknown or already final (a replay does nothing)."""
    job = session.get(Job, job_id)
    if job is None or job.status in JOB_FINAL_STATES:
        return None
    job.status = "running"
    job.started_at = now_utc()
    job.attempts = (job.attempts or 0) + 1
    job.message = _("Running…")
    session.flush()
    return job


def record_progress(
    session: Session,
    job_id: int,
    progress: int,
    total: int | None = None,
    message: str | None = None,
) -> None:
    values: dict = {"progress": progress}
    if total is not None:
        values["total"] = total
    if message is not None:
        values["message"] = message[:300]
    session.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(**values))


def finish_job(
    session: Session,
    job_id: int,
    *,
    result: dict | None = None,
    result_path: str | None = None,
    message: str = "Done.",
) -> None:
    job = session.get(Job, job_id)
    assert job is not None, job_id  # the job running this
    job.status = "done"
    job.result = result
    job.result_path = result_path
    job.message = message[:300]
    job.error = None
    if job.total:
        job.progress = job.total
    job.finished_at = now_utc()
    session.flush()


def fail_job(
    session: Session,
    job_id: int,
    error: str,
    *,
    retrying: bool = False,
    message: str | None = None,
) -> None:
    """`message`: what the user reads when the job fails (default: see the error below)."""
    job = session.get(Job, job_id)
    if job is None or job.status in JOB_FINAL_STATES:
        return
    job.error = error[-4000:]
    if retrying:
        job.status = "queued"
        job.message = _("Failed, will be retried shortly.")
    else:
        job.status = "failed"
        job.message = (message or _("Failed. Nothing was changed; see the error below."))[:300]
        job.finished_at = now_utc()
    session.flush()


def fail_stale_jobs(
    session: Session,
    older_than: dt.timedelta,
    never_started_after: dt.timedelta = dt.timedelta(hours=24),
) -> list[Job]:
    """Jobs still running long after their time limit (the worker died), or still queued a
    day later (lost from the queue): mark them failed, so every job reaches a final state."""
    now = now_utc()
    running = select(Job).where(Job.status == "running", Job.started_at < now - older_than)
    queued = select(Job).where(Job.status == "queued", Job.created_at < now - never_started_after)
    jobs = list(session.scalars(running)) + list(session.scalars(queued))
    for job in jobs:
        job.status = "failed"
        if job.started_at is None:
            job.error = "The job never started (no worker took it)."
        else:
            job.error = "The worker stopped before the job finished."
        job.message = _("Failed: the job did not finish. Nothing was changed.")
        job.finished_at = now
    session.flush()
    return jobs


WAITING_KEY = "_waiting_for_queue"


def mark_waiting(session: Session, job_id: int, task_path: str, message: str) -> None:
    """A queued job whose queue was unreachable: remember its task to queue it later."""
    job = session.get(Job, job_id)
    if job is None or job.status != "queued":
        return
    job.params = {**(job.params or {}), WAITING_KEY: task_path}
    job.message = message


def waiting_jobs(session: Session, limit: int) -> list[tuple[int, str]]:
    """(job id, task path) of the queued jobs waiting for the queue, oldest first. Queued jobs
    are few (they start within seconds), so the JSON key is read in Python on any database."""
    rows = session.execute(
        select(Job.id, Job.params).where(Job.status == "queued").order_by(Job.id).limit(limit * 4)
    ).all()
    return [(i, p[WAITING_KEY]) for i, p in rows if p and WAITING_KEY in p][:limit]


def clear_waiting(session: Session, job_id: int) -> None:
    job = session.get(Job, job_id)
    if job is not None and job.params and WAITING_KEY in job.params:
        job.params = {k: v for k, v in job.params.items() if k != WAITING_KEY}
        job.message = ""
