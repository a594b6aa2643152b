"""F-61/F-64: the daily job reconciles (a system job row) and removes export files past
EXPORT_TTL_HOURS; the download link then 404s."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from jobs.monitoring import daily_reconciliation
from jobs.testing import run_queued_jobs
from portal.db import now_utc
from portal.models.jobs import Job
from portal.models.monitoring import ReconciliationRun
from tests.support.monitoring import to_check_carnet


def test_f64_daily_job_reconciles_and_expires_old_exports(world, login_as, app):
    to_check_carnet(world)
    fr = login_as("fr", "controller")
    r = fr.post("/monitoring/exports/list", data={"view": "carnets"})
    run_queued_jobs(app)
    url = r.headers["Location"].rstrip("/") + "/download"
    first = fr.get(url)
    assert first.status_code == 200
    first.close()
    s = world.session
    job_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    s.execute(
        update(Job).where(Job.id == job_id).values(finished_at=now_utc() - dt.timedelta(hours=25))
    )
    s.commit()
    with app.app_context():
        daily_reconciliation()
    assert fr.get(url).status_code == 404
    assert "expired" in fr.get(r.headers["Location"]).get_data(as_text=True)
    system = s.scalar(select(Job).where(Job.kind == "reconciliation", Job.customs_id.is_(None)))
    assert system.status == "done"
    assert (
        s.scalar(select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(1)).kind
        == "incremental"
    )
