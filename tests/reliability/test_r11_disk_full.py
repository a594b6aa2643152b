"""R-11: the storage folder full during an export, for real: a 256 KiB tmpfs is mounted over
the stack's `STORAGE_DIR/exports` and filled, then an accounts export is
asked for. The RQ worker's job fails at once with the message that the storage is full (no
retry), leaves no half-written file, and the database is as it was (every table's row count,
but the job row that says so). With the space back, the same export succeeds.

Mounting needs root (the suite's machine runs as root); elsewhere the test is skipped and
tests/jobs/test_r11_job_storage_full.py (the same failure raised by the work) still runs.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import Account, CustomsAdministration
from portal.models.jobs import Job
from tests.reliability.procs import low_queue_idle, wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(300)]


def _table_counts() -> dict[str, int]:
    with db.new_session() as s:
        tables = s.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ).all()
        return {t: s.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in tables}  # noqa: S608


def _job(job_id: int) -> Job:
    with db.new_session() as s:
        job = s.get(Job, job_id)
        s.expunge(job)
        return job


def _export(world) -> int:
    from jobs.runtime import enqueue
    from jobs.tasks import export_accounts
    from portal.domain import jobs as domain_jobs

    s = world.session
    be = s.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))
    admin = s.scalar(select(Account).where(Account.customs_id == be.id, Account.role == "admin"))
    job = domain_jobs.create_job(
        s, "export_accounts", customs_id=be.id, account_id=admin.id, params={"filters": {}}
    )
    s.commit()
    enqueue(export_accounts, job.id)
    return job.id


def _final(job_id: int) -> Job:
    wait_for(lambda: _job(job_id).status in ("done", "failed"), 90, f"job {job_id} finished")
    return _job(job_id)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small filesystem needs root")
def test_r11_storage_full_during_an_export_fails_visibly_database_untouched(healthy, world):
    from jobs.runtime import DISK_FULL

    # the daily jobs the scheduler claims at the stack's start write jobs of their own: done
    # before the tables are counted
    wait_for(low_queue_idle, 120, "the daily jobs of the stack's start done", 0.5)
    exports = os.path.join(healthy.storage, "exports")
    os.makedirs(exports, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", exports], check=True)
    try:
        # fill it: not a byte left for the accounts file
        try:
            with open(os.path.join(exports, "filler"), "wb", buffering=0) as f:
                while True:
                    f.write(b"\0" * 4096)
        except OSError:
            pass
        before = _table_counts()
        job_id = _export(world)
        job = _final(job_id)
        assert job.status == "failed", (job.status, job.message, job.error)
        assert job.message == DISK_FULL
        assert "No space left on device" in (job.error or "")
        assert job.result_path is None and job.attempts == 1
        left = [f for _, _, files in os.walk(exports) for f in files]
        assert left == ["filler"], left  # no half-written file
        after = _table_counts()
        assert after.pop("job") == before.pop("job") + 1
        assert after == before
        # RQ's retries of the job find it final and do nothing
        wait_for(
            lambda: _job(job_id).attempts == 1 and _job(job_id).status == "failed",
            5,
            "the job still failed",
        )
    finally:
        subprocess.run(["umount", "-l", exports], check=False)
    # the space is back: the same export works
    again = _final(_export(world))
    assert again.status == "done", (again.status, again.message, again.error)
    from openpyxl import load_workbook

    wb = load_workbook(os.path.join(healthy.storage, again.result_path), read_only=True)
    assert len(list(wb.active.iter_rows())) == again.result["rows"] + 1
