"""R-11: the storage folder full while a job writes its result file — the job fails at once
(no retry: a full disk does not empty itself within a minute) with a message that says so,
the half-written file is removed, and the work's database changes are rolled back. Inline
and on RQ (with the task's retries). The same with a real full filesystem:
tests/reliability/test_r11_disk_full.py."""

from __future__ import annotations

import errno
import os

import pytest

from jobs import enqueue, task
from jobs.runtime import DISK_FULL, run_tracked, storage_path
from jobs.testing import run_queued_jobs
from portal.domain import jobs as domain_jobs
from portal.models.jobs import Job
from portal.models.monitoring import ReconciliationRun

WRITTEN: list[str] = []


@task(queue="default", timeout=60, retry=(2, [1, 1]))
def export_to_full_disk(job_id: int) -> None:
    """Changes the database, writes part of its file, then the disk is full."""

    def work(session, job, progress):
        import datetime as dt

        session.add(ReconciliationRun(kind="full", today=dt.date(2031, 1, 1), job_id=job.id))
        session.flush()
        path = storage_path(f"exports/{job.id}/half.xlsx")
        WRITTEN.append(path)
        with open(path, "wb") as f:
            f.write(b"PK\x03\x04 half of a file")
        raise OSError(errno.ENOSPC, "No space left on device", path)

    run_tracked(job_id, work)


def test_r11_disk_full_during_an_export_fails_once_with_a_clear_message(app, session):
    WRITTEN.clear()
    job = domain_jobs.create_job(session, "export_list", params={})
    session.commit()
    with app.app_context():
        enqueue(export_to_full_disk, job.id)
    run_queued_jobs(app)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "failed" and job.attempts == 1
    assert job.message == DISK_FULL
    assert "No space left on device" in job.error
    assert WRITTEN and not any(os.path.exists(p) for p in WRITTEN)
    assert session.query(ReconciliationRun).filter_by(job_id=job.id).count() == 0


def test_r11_other_errors_keep_the_usual_message(app, session):
    @task(queue="default", timeout=60)
    def fails(job_id: int) -> None:
        run_tracked(job_id, lambda *a: (_ for _ in ()).throw(OSError(errno.EACCES, "denied")))

    job = domain_jobs.create_job(session, "export_list", params={})
    session.commit()
    with app.app_context(), pytest.raises(PermissionError):
        fails(job.id)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "failed" and job.message.startswith("Failed. Nothing was changed")
