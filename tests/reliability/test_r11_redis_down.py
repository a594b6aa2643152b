"""Redis down (EATA_RELIABILITY_REDIS_DOWN seconds, 20 by default, 300 in the full run): the
pages that need neither a rate limit nor a job keep working, and everything works again when
Redis returns (its data kept, as a Redis with persistence restarts)."""

from __future__ import annotations

import time

import pytest

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

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.timeout(int(REDIS_DOWN_SECONDS) + 300),
]  # 300 s in the full run


def test_r11_redis_down_pages_keep_working_and_commits_resume(healthy, world):
    desk = Desk(healthy, officer_cookie(healthy, world))
    controller = Desk(
        healthy, account_cookie(healthy, world, demo_account(world, "ch", "controller"))
    )
    statuses = []
    healthy.redis.stop(save=True)
    try:
        deadline = time.monotonic() + REDIS_DOWN_SECONDS
        while time.monotonic() < deadline:
            statuses.append(desk.get("/transactions/new").status_code)
            statuses.append(controller.get("/monitoring/logs").status_code)
            time.sleep(min(REDIS_DOWN_SECONDS / 10, 5))
    finally:
        healthy.redis.start()
    assert statuses and set(statuses) == {200}
    api = Api(healthy, customs_token(healthy, world))
    (ticket,) = new_tickets(world, 1)
    r = api.post(
        "/v1/customs/vouchers/commit",
        commit_body(ticket, office_id(world)),
        key=f"after-{ticket.code}",
    )
    assert r.status_code == 201, r.text
    assert commit_rows(ticket) == complete(ticket)
