"""Duplicate and replayed POSTs against the real server: a double click on the desk's commit,
the NICS issue retried with and without Idempotency-Key, the customs commit retried after a
client timeout → one row each, and the retry gets the first answer."""

from __future__ import annotations

import secrets
import threading

import pytest
import requests
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Carnet, IdempotencyRecord
from tests.reliability.helpers import (
    Api,
    Desk,
    commit_body,
    commit_rows,
    complete,
    customs_token,
    new_tickets,
    nics_token,
    office_id,
    officer_cookie,
)
from tests.support.factory import carnet_body

pytestmark = pytest.mark.reliability


def test_r11_desk_double_click_on_commit_gives_one_transaction(healthy, world):
    (ticket,) = new_tickets(world, 1)
    desk = Desk(healthy, officer_cookie(healthy, world))
    commit = desk.to_commit_form(ticket)
    answers = []
    go = threading.Barrier(2)

    def click():
        go.wait()
        answers.append(desk.post(commit, {"goods_examined": "no"}))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    # both clicks land on the receipt of the one transaction, none is an error
    assert sorted(r.status_code for r in answers) == [303, 303], [r.text[:200] for r in answers]
    assert len({r.headers["Location"] for r in answers}) == 1
    assert commit_rows(ticket) == complete(ticket)
    # a third click later (Back, then commit again) is the same receipt, still one row
    again = desk.post(commit, {"goods_examined": "no"})
    assert again.status_code == 303 and again.headers["Location"] == answers[0].headers["Location"]
    assert commit_rows(ticket) == complete(ticket)


def _carnets_numbered(number: str) -> int:
    with db.new_session() as s:
        return s.scalar(
            select(func.count()).select_from(Carnet).where(Carnet.carnet_number == number)
        )


def test_r11_nics_issue_retried_with_idempotency_key_gives_the_first_answer(healthy, world):
    api = Api(healthy, nics_token(healthy, world))
    body = carnet_body(items=2, carnet_number=f"CH{secrets.token_hex(5).upper()}")
    key = f"issue-{secrets.token_hex(6)}"
    first = api.post("/v1/carnets", body, key=key)
    assert first.status_code == 201, first.text
    again = api.post("/v1/carnets", body, key=key)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()  # the same eata_id and PIN
    assert _carnets_numbered(body["carnet_number"]) == 1
    # the same key with another body is refused, nothing written
    other = api.post("/v1/carnets", {**body, "currency": "CHF"}, key=key)
    assert other.status_code == 422 and other.headers["Content-Type"].startswith(
        "application/problem+json"
    )
    assert _carnets_numbered(body["carnet_number"]) == 1


def test_r11_nics_issue_retried_without_key_is_refused_as_a_duplicate(healthy, world):
    api = Api(healthy, nics_token(healthy, world))
    body = carnet_body(items=2, carnet_number=f"CH{secrets.token_hex(5).upper()}")
    answers = []
    go = threading.Barrier(3)

    def send():
        go.wait()
        answers.append(api.post("/v1/carnets", body))

    senders = [threading.Thread(target=send) for _ in range(3)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    codes = sorted(r.status_code for r in answers)
    assert codes[0] == 201 and all(c in (409, 422) for c in codes[1:]), [
        (r.status_code, r.text[:200]) for r in answers
    ]
    assert _carnets_numbered(body["carnet_number"]) == 1


def test_r11_customs_commit_replayed_with_and_without_key(healthy, world):
    api = Api(healthy, customs_token(healthy, world))
    (ticket,) = new_tickets(world, 1)
    body = commit_body(ticket, office_id(world))
    key = f"commit-{secrets.token_hex(6)}"
    first = api.post("/v1/customs/vouchers/commit", body, key=key)
    assert first.status_code == 201, first.text
    again = api.post("/v1/customs/vouchers/commit", body, key=key)
    assert again.status_code == 201 and again.json() == first.json()
    without = api.post("/v1/customs/vouchers/commit", body)
    assert without.status_code == 409 and without.json()["code"] == "already_committed"
    assert commit_rows(ticket) == complete(ticket)


def test_r11_customs_commit_retried_after_a_client_timeout(healthy, world):
    """The client gives up before the answer (read timeout far below the commit's time), then
    retries with the same key: the first answer if the first request committed, else a
    commit now — one transaction either way."""
    api = Api(healthy, customs_token(healthy, world))
    tickets = new_tickets(world, 4)
    oid = office_id(world)
    for ticket in tickets:
        body = commit_body(ticket, oid)
        key = f"timeout-{secrets.token_hex(6)}"
        try:
            r = api.post("/v1/customs/vouchers/commit", body, key=key, timeout=0.002)
            timed_out = False
        except requests.Timeout:
            timed_out = True
        retry = api.post("/v1/customs/vouchers/commit", body, key=key)
        assert retry.status_code == 201, retry.text
        if not timed_out:
            assert retry.json() == r.json()
        assert commit_rows(ticket) == complete(ticket)
    with db.new_session() as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyRecord)) >= len(tickets)
