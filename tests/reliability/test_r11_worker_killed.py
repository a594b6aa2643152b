"""kill -9 of gunicorn workers in the middle of customs API commits under load: every commit is
complete (transaction, goods lines, audit event, notification, outbox rows) or absent, and the
client's retry with the same Idempotency-Key gets the first answer."""

from __future__ import annotations

import os
import queue
import secrets
import signal
import threading
import time

import pytest
import requests

from tests.reliability.helpers import (
    ABSENT,
    Api,
    commit_body,
    commit_rows,
    complete,
    customs_token,
    new_tickets,
    office_id,
)
from tests.reliability.procs import wait_for

pytestmark = pytest.mark.reliability

CLIENTS = 6
TICKETS = 48
KILLS = 3


def test_r11_kill_9_of_gunicorn_workers_mid_commit(healthy, world):
    token = customs_token(healthy, world)
    tickets = new_tickets(world, TICKETS)
    oid = office_id(world)
    todo: queue.Queue = queue.Queue()
    for t in tickets:
        todo.put((t, f"kill-{secrets.token_hex(8)}"))
    answers: dict[int, tuple[str, dict]] = {}  # voucher id → (key, the 201 body)
    broken: list[tuple[object, dict]] = []  # (ticket, rows) right after a dropped request
    unexpected: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def client():
        api = Api(healthy, token)
        while True:
            try:
                ticket, key = todo.get_nowait()
            except queue.Empty:
                return
            body = commit_body(ticket, oid)
            for _ in range(60):
                try:
                    r = api.post("/v1/customs/vouchers/commit", body, key=key, timeout=30)
                except requests.ConnectionError:
                    # the worker died under this request: nothing else is committing this
                    # voucher now, so its rows are either all there or none
                    with lock:
                        broken.append((ticket, commit_rows(ticket)))
                    api = Api(healthy, token)
                    time.sleep(0.2)
                    continue
                if r.status_code >= 500:
                    with lock:
                        unexpected.append(f"{r.status_code} {r.text[:200]}")
                    time.sleep(0.2)
                    continue
                if r.status_code != 201:
                    with lock:
                        unexpected.append(f"{r.status_code} {r.text[:200]}")
                    break
                with lock:
                    answers[ticket.voucher_id] = (key, r.json())
                break

    def killer():
        for _ in range(KILLS):
            # wait until a few more commits went through, then kill a worker mid-flight
            target = len(answers) + TICKETS // (KILLS + 2)
            while len(answers) < target and not done.is_set():
                time.sleep(0.02)
            if done.is_set():
                return
            pids = healthy.gunicorn_workers()
            if pids:
                os.kill(pids[0], signal.SIGKILL)
            wait_for(
                lambda: len(healthy.gunicorn_workers()) >= healthy.workers,
                30,
                "a new gunicorn worker",
            )

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    kill = threading.Thread(target=killer)
    for t in threads:
        t.start()
    kill.start()
    for t in threads:
        t.join()
    done.set()
    kill.join()

    assert unexpected == []
    assert broken, "no kill landed on a request in flight"
    for ticket, rows in broken:
        assert rows in (ABSENT, complete(ticket)), rows
    # every commit the clients saw is complete, once
    assert len(answers) == TICKETS
    for ticket in tickets:
        assert commit_rows(ticket) == complete(ticket)
    # the retry with the same key, now, gets the first answer
    api = Api(healthy, token)
    for ticket in tickets:
        key, first = answers[ticket.voucher_id]
        again = api.post("/v1/customs/vouchers/commit", commit_body(ticket, oid), key=key)
        assert again.status_code == 201 and again.json() == first
