"""SMTP down: the commit's email receipts wait in the outbox (pending, the error recorded),
and once the server is back each is sent once — never twice, even with drains racing."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update

from portal.db import now_utc
from portal.extensions import db
from portal.models import OutboxMessage
from tests.reliability.helpers import (
    Api,
    commit_body,
    commit_rows,
    complete,
    customs_token,
    new_tickets,
    office_id,
)

pytestmark = pytest.mark.reliability


def _emails(tickets) -> list[OutboxMessage]:
    numbers = [t.carnet_number for t in tickets]
    with db.new_session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
        return [m for m in rows if any(n in m.subject for n in numbers)]


def _arrived(smtp, number: str) -> int:
    return sum(1 for _, subject in smtp.received() if number in subject)


def test_r11_smtp_down_mail_waits_in_the_outbox_and_is_sent_once(healthy, world):
    api = Api(healthy, customs_token(healthy, world))
    tickets = new_tickets(world, 3)
    oid = office_id(world)
    healthy.smtp.stop()
    try:
        for t in tickets:
            r = api.post("/v1/customs/vouchers/commit", commit_body(t, oid), key=f"smtp-{t.code}")
            assert r.status_code == 201, r.text  # the commit does not wait for the mail
            assert commit_rows(t) == complete(t)
        out = healthy.flask("outbox", "drain")
        assert out.returncode == 0, out.stderr[-2000:]
        waiting = _emails(tickets)
        assert len(waiting) == len(tickets)
        assert all(m.status == "pending" and m.attempts >= 1 and m.last_error for m in waiting)
        assert all(_arrived(healthy.smtp, t.carnet_number) == 0 for t in tickets)
    finally:
        healthy.smtp.start()  # the server returns (same port)

    # the retry delay passes (1 minute after the first failure): make the rows due now
    with db.new_session() as s:
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([m.id for m in waiting]))
            .values(next_attempt_at=now_utc())
        )
        s.commit()
    # two drains at once (say the scheduler's and an operator's): each message goes once
    results = []
    drains = [
        threading.Thread(target=lambda: results.append(healthy.flask("outbox", "drain")))
        for _ in range(2)
    ]
    for d in drains:
        d.start()
    for d in drains:
        d.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr[-1000:] for r in results]
    assert all(m.status == "sent" for m in _emails(tickets))
    for t in tickets:
        assert _arrived(healthy.smtp, t.carnet_number) == 1
    # and later drains send nothing again
    assert healthy.flask("outbox", "drain").returncode == 0
    for t in tickets:
        assert _arrived(healthy.smtp, t.carnet_number) == 1
