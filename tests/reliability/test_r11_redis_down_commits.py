"""Redis down (EATA_RELIABILITY_REDIS_DOWN seconds, 20 by default, 300 in the full run):
commits, logins and pages keep working, a job asked for meanwhile runs when Redis returns,
nothing is lost (every commit complete, its email sent once).

How: the rate limiter falls back to in-memory counters while its Redis storage is unreachable
(RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), and jobs.runtime.enqueue marks a tracked job
'waiting' instead of raising; the scheduler's jobs.requeue_waiting (every 60 s) queues it
again once Redis is back.
"""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from portal.domain.demo import DEMO_PASSWORD, demo_email
from portal.extensions import db
from portal.models import Job
from tests.reliability.conftest import REDIS_DOWN_SECONDS
from tests.reliability.helpers import (
    Api,
    Desk,
    account_cookie,
    commit_body,
    commit_rows,
    complete,
    customs_token,
    demo_account,
    new_tickets,
    office_id,
    officer_cookie,
)
from tests.reliability.procs import wait_for

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.timeout(int(REDIS_DOWN_SECONDS) + 300),
]  # 300 s in the full run


def _login(stack) -> int:
    browser = Desk(stack)
    page = browser.get("/login")
    if page.status_code != 200:
        return page.status_code
    browser.csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    r = browser.post(
        "/login",
        {
            "csrf_token": browser.csrf,
            "email": demo_email("ch", "officer"),
            "password": DEMO_PASSWORD,
        },
    )
    return r.status_code


def test_r11_redis_down_commits_logins_pages_work_jobs_run_later(healthy, world):
    api = Api(healthy, customs_token(healthy, world))
    oid = office_id(world)
    desk = Desk(healthy, officer_cookie(healthy, world))
    controller = Desk(
        healthy, account_cookie(healthy, world, demo_account(world, "ch", "controller"))
    )
    logs = controller.get("/monitoring/logs")
    assert logs.status_code == 200
    controller.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', logs.text).group(1)
    tickets = new_tickets(world, 40)
    committed, statuses = [], []

    healthy.redis.stop(save=True)
    try:
        deadline = time.monotonic() + REDIS_DOWN_SECONDS
        export = controller.post("/monitoring/exports/list", {"view": "transactions"})
        statuses.append(("export", export.status_code))
        while tickets and time.monotonic() < deadline:
            t = tickets.pop()
            r = api.post("/v1/customs/vouchers/commit", commit_body(t, oid), key=f"redis-{t.code}")
            statuses.append(("commit", r.status_code))
            if r.status_code == 201:
                committed.append(t)
            statuses.append(("login", _login(healthy)))
            statuses.append(("page", desk.get("/transactions/new").status_code))
            time.sleep(min(REDIS_DOWN_SECONDS / 10, 5))
    finally:
        healthy.redis.start()

    assert [s for s in statuses if s[1] >= 500] == [], statuses
    assert {code for kind, code in statuses if kind == "commit"} == {201}
    assert {code for kind, code in statuses if kind == "login"} <= {200, 302, 303}
    assert {code for kind, code in statuses if kind == "page"} == {200}
    assert export.status_code == 303
    job_id = int(export.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    # the export asked for during the outage runs once Redis is back
    wait_for(lambda: _job_status(job_id) in ("done", "failed"), 120, "the export job")
    assert _job_status(job_id) == "done"
    for t in committed:
        assert commit_rows(t) == complete(t)
    # their emails go out once
    assert healthy.flask("outbox", "drain").returncode == 0
    for t in committed:
        assert sum(1 for _, subj in healthy.smtp.received() if t.carnet_number in subj) == 1


def _job_status(job_id: int) -> str:
    with db.new_session() as s:
        return s.scalar(select(Job.status).where(Job.id == job_id))
